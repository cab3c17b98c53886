// Configuration from the environment, with the defaults the rules give (R3). Pure: the env is passed in.
import { z } from 'zod';
import { DEFAULT_CHECK_IN_TIMING, stepTimingFromEnv, type StepTiming } from './durations';

export interface Config {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  databaseUrl: string | undefined;
  apiHost: string;
  apiPort: number;
  adminToken: string | undefined;
  timing: { checkIn: StepTiming };
}

const Env = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TUANWU_TASK_QUEUE: z.string().default('tuanwu'),
  DATABASE_URL: z.string().optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  TUANWU_ADMIN_TOKEN: z.string().min(16, 'TUANWU_ADMIN_TOKEN must have at least 16 characters').optional(),
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = Env.parse(env);
  return {
    temporalAddress: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TUANWU_TASK_QUEUE,
    databaseUrl: e.DATABASE_URL,
    apiHost: e.HOST,
    apiPort: e.PORT,
    adminToken: e.TUANWU_ADMIN_TOKEN,
    timing: { checkIn: stepTimingFromEnv('TUANWU_CHECK_IN', DEFAULT_CHECK_IN_TIMING, env) },
  };
}
