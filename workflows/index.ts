// Every workflow the worker registers.
export { checkIn } from './check-in';
export { transfer } from './transfer';
export { duesCheck } from './dues-check';
export { deletion } from './deletion';
export { discipline } from './discipline';
export { healthCheck } from './health-check';
export { invariantCheck } from './invariant-check';
export { ageOutSweep } from './age-out';
export { memberChange } from './member-change';
export { joinDate } from './join-date';
export { campaign, campaignFanOut } from './campaign';
export { campaignTask } from './campaign-task';
