// Issue 13 activities; to be written.
import type { ActivityDeps } from '../worker/index';

export function createHealthActivities(_deps: ActivityDeps) {
  return {};
}
