// Loaded into the workflow sandbox by the worker and by clients (through `require`, hence plain CommonJS):
// failure messages and stack traces travel as an encoded (so encrypted) payload.
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
