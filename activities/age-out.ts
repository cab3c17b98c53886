// Issue 13 activities; to be written.
import type { ActivityDeps } from '../worker/index';

export function createAgeOutActivities(_deps: ActivityDeps) {
  return {};
}
