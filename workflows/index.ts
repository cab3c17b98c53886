// Every workflow the worker registers.
export { checkIn } from './check-in';
export { transfer } from './transfer';
