// Issue 13 activities; to be written.
import type { ActivityDeps } from '../worker/index';

export function createMemberDataActivities(_deps: ActivityDeps) {
  return {};
}
