// The test-file view of the system: where the global setup put PostgreSQL, Temporal and the bundle.
import { inject } from 'vitest';
import type { StepTiming } from '../domain/durations';
import { startSystemAt, type System } from './system';

export * from './system';

export async function startSystem(opts: { checkIn?: Partial<StepTiming>; worker?: boolean } = {}): Promise<System> {
  return startSystemAt(
    { databaseUrl: inject('databaseUrl'), temporalAddress: inject('temporalAddress'), workflowBundlePath: inject('workflowBundlePath') },
    opts,
  );
}
