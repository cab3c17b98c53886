// Every workflow the fast layer runs, in one bundle built once per run (test/fast/global-setup.ts): the real
// processes and the test workflows around the deadline watch, the step objects and the skeleton.
export * from '../../../workflows/index';
export { deadlineWatchWorkflow } from './deadline';
export { stepsWorkflow } from './steps';
export { skeletonWorkflow } from './skeleton';
