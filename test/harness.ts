// The test-file view of the system: where the global setup put PostgreSQL, Temporal and the bundle.
import { inject } from 'vitest';
import { startSystemAt, type System, type SystemOptions } from './system';

export * from './system';

export async function startSystem(opts: SystemOptions = {}): Promise<System> {
  return startSystemAt(
    { databaseUrl: inject('databaseUrl'), temporalAddress: inject('temporalAddress'), workflowBundlePath: inject('workflowBundlePath') },
    opts,
  );
}
