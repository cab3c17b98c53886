// Every kind of process, declared once: the registry the API (steps, decisions, starts), the worker and the tests
// read. Typed over ProcessKind, so a kind without a declaration is a compile error.
import type { ProcessKind } from '../domain/processes';
import type { AnyProcessDefinition } from './definition';
import { checkInProcess } from './check-in';
import { transferProcess } from './transfer';
import { deletionProcess } from './deletion';
import { disciplineProcess } from './discipline';
import { memberChangeProcess } from './member-change';
import { joinDateProcess } from './join-date';
import { campaignTaskProcess } from './campaign-task';

/** Each kind's declaration (its `kind` is the key: test/registry.test.ts). */
export const DECLARATIONS: Readonly<Record<ProcessKind, AnyProcessDefinition>> = {
  'check-in': checkInProcess,
  transfer: transferProcess,
  deletion: deletionProcess,
  discipline: disciplineProcess,
  'member-change': memberChangeProcess,
  'join-date': joinDateProcess,
  campaign: campaignTaskProcess,
};

/** Every step name of every kind, once (a `step` filter naming none of them is a typo: 400). */
export const ALL_STEPS: readonly string[] = [...new Set(Object.values(DECLARATIONS).flatMap((d) => Object.keys(d.steps)))];
