// What the activities are built from (activities/index.ts `createActivities`): the worker passes it, tests pass
// their own database and fakes.
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import type { Config } from '../domain/config';

export interface ActivityDeps {
  db: Db;
  /** This province's code and the other provinces' systems (R10). */
  province?: string;
  peers?: Map<string, { url: string; key: Buffer }>;
  /** For activities that start other processes (the dues check opens disciplinary cases, R18). */
  client?: Client;
  config?: Config;
}
