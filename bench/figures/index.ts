// Every figure of `npm run bench`, in the order a run takes them: figure 3 reads figure 2's workflows for its
// visibility side, and figures 5 and 4 (a worker process of their own) come after the in-process ones.
import type { Figure } from '../figure';
import { figure01 } from './figure-01-end-to-end';
import { figure02 } from './figure-02-bulk-start';
import { figure03 } from './figure-03-supervisor-query';
import { figure04 } from './figure-04-open-timers';
import { figure05 } from './figure-05-decisions';
import { figure06 } from './figure-06-cluster';
import { figure07 } from './figure-07-console';
import { figure08 } from './figure-08-health';
import { figure09 } from './figure-09-campaign';
import { figure10 } from './figure-10-invariants';
import { figure11 } from './figure-11-migrations';
import { figure12 } from './figure-12-process-cost';

export const FIGURES: readonly Figure[] = [
  figure01,
  figure06,
  figure02,
  figure03,
  figure05,
  figure04,
  figure07,
  figure08,
  figure09,
  figure10,
  figure11,
  figure12,
];
