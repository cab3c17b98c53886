// The test-file view of the system: where the global setup put PostgreSQL, Temporal and the bundle.
import { afterAll, beforeAll, inject } from 'vitest';
import { seedTree, startSystemAt, type System, type SystemOptions, type Tree } from './system';

export * from './system';

export async function startSystem(opts: SystemOptions = {}): Promise<System> {
  return startSystemAt(
    { databaseUrl: inject('databaseUrl'), temporalAddress: inject('temporalAddress'), workflowBundlePath: inject('workflowBundlePath') },
    opts,
  );
}

/** A test file's system and its own seeded tree, read inside tests and hooks (they exist once `beforeAll` ran). */
export interface SystemWithTree {
  readonly sys: System;
  readonly tree: Tree;
}

/**
 * Registers the hooks most system test files open with: start the system and seed this file's tree before its
 * tests, stop the system after them. A file's own setup goes in a later `beforeAll` (hooks run in order).
 */
export function useSystemWithTree(opts: SystemOptions = {}): SystemWithTree {
  let sys: System | undefined;
  let tree: Tree | undefined;
  beforeAll(async () => {
    sys = await startSystem(opts);
    tree = await seedTree(sys.app);
  });
  afterAll(async () => {
    await sys?.stop();
  });
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the system is not started yet: read it inside a test or a hook');
    return v;
  };
  return {
    get sys() {
      return ready(sys);
    },
    get tree() {
      return ready(tree);
    },
  };
}

/** The materialized path of an organization (the subtree filter of the read models). */
export async function orgPath(sys: System, id: string): Promise<string> {
  return (await sys.db.selectFrom('organizations').select('path').where('id', '=', id).executeTakeFirstOrThrow()).path;
}
