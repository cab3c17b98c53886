// Configuration from the environment, with the defaults the rules give (R3). Pure: the env is passed in.
import { z } from 'zod';
import { DEFAULT_CHECK_IN_TIMING, stepTimingFromEnv, type StepTiming } from './durations';
import { transferTimingFromEnv, type TransferTiming } from './transfers';
import { parsePeers } from './peer-protocol';
import { DEFAULT_GRADUATE_BASE_DATE, DEFAULT_GRADUATE_TARGETS, parseGraduateBaseDate, parseGraduateTargets, type GraduateTarget } from './graduates';
import { DEFAULT_DUES_MAX_AHEAD_MONTHS } from './dues';
import { abuseWatchFromEnv, deletionTimingFromEnv, type AbuseWatch, type DeletionTiming } from './deletions';
import { ExpulsionApproval, disciplineTimingFromEnv, type DisciplineTiming } from './discipline';
import { parseDuration } from './durations';

export interface Config {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  databaseUrl: string | undefined;
  apiHost: string;
  apiPort: number;
  adminToken: string | undefined;
  /** Origins of the Temporal Web UI allowed to call the codec endpoint. */
  uiOrigins: string[];
  timing: {
    checkIn: StepTiming;
    transfer: TransferTiming;
    deletion: DeletionTiming;
    discipline: DisciplineTiming;
    /** R5: the branch's review of a change of political status, economic income or cadre flag (the check-in's defaults). */
    memberChange: StepTiming;
    /** R7: the branch's review of a request in the window; the province's decision on a formal request. */
    joinDate: { branchReview: StepTiming; provinceReview: StepTiming };
  };
  /**
   * R19: a range is listed as holding open numbers once issued longer ago than `openAfterMs`; a member entered
   * later than the month after the admitting meeting (a calendar month; `lateEntryMs` when configured) is flagged.
   */
  numbers: { openAfterMs: number; lateEntryMs?: number };
  /** R19 age-out: the sweep's interval, and how long before the 28th birthday the branch is told. */
  ageOut: { checkEveryMs: number; noticeMs: number };
  /** R21: how often the health check notifies committees of new problems below them. */
  health: { checkEveryMs: number };
  /**
   * R22: the reminders before a campaign step's deadline and the escalation interval after it (the deadlines are
   * the campaign's own dates); the default cap on 优秀 (null: none, the seeds give no value); the fan-out's page
   * of branches and how many task starts it has in flight at once.
   */
  campaign: { reminderOffsetsMs: number[]; escalationIntervalMs: number; excellentCap: number | null; fanOutPage: number; startConcurrency: number };
  abuse: AbuseWatch;
  /**
   * R18: how often the dues check runs, and at how many consecutive unpaid months it reminds and opens a removal
   * case; how many months past the current one a payment may be for (arrears have no such limit).
   */
  dues: { checkEveryMs: number; remindAt: number; removeAt: number; maxAheadMonths: number };
  expulsionApproval: ExpulsionApproval;
  /** Share of disciplinary cases the province spot-checks (R18). */
  spotCheckRate: number;
  /** This province's code, as the other provinces' systems know it (R10). */
  province: string;
  /** The other provinces' systems: base URL and the shared signing key. */
  peers: Map<string, { url: string; key: Buffer }>;
  graduateTargets: GraduateTarget[];
  /** R12: MM-DD of the cohort's year on which its graduates are counted for good (the base of the share). */
  graduateBaseDate: string;
}

const Env = z.object({
  /** An external Temporal server; unset, `npm start` runs a dev server on 127.0.0.1:TUANWU_TEMPORAL_PORT. */
  TEMPORAL_ADDRESS: z.string().optional(),
  TUANWU_TEMPORAL_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TUANWU_TASK_QUEUE: z.string().default('tuanwu'),
  DATABASE_URL: z.string().optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  TUANWU_UI_ORIGINS: z.string().default('http://127.0.0.1:8233,http://localhost:8233'),
  TUANWU_PROVINCE: z
    .string()
    .regex(/^[a-z]{2,8}$/, 'TUANWU_PROVINCE: 2-8 lowercase letters')
    .default('gd'),
  TUANWU_PEERS: z.string().optional(),
  TUANWU_GRADUATE_TARGETS: z.string().default(DEFAULT_GRADUATE_TARGETS),
  TUANWU_GRADUATE_BASE_DATE: z.string().default(DEFAULT_GRADUATE_BASE_DATE),
  TUANWU_DUES_CHECK_EVERY: z.string().default('1d'),
  TUANWU_DUES_MAX_AHEAD_MONTHS: z.coerce.number().int('TUANWU_DUES_MAX_AHEAD_MONTHS: whole months').min(0).max(120).default(DEFAULT_DUES_MAX_AHEAD_MONTHS),
  TUANWU_EXPULSION_APPROVAL: ExpulsionApproval.default('parent'),
  TUANWU_SPOT_CHECK_RATE: z.coerce.number().min(0).max(1).default(1),
  TUANWU_NUMBERS_OPEN_AFTER: z.string().default('180d'),
  TUANWU_LATE_ENTRY_AFTER: z.string().optional(),
  TUANWU_AGE_OUT_CHECK_EVERY: z.string().default('1d'),
  TUANWU_AGE_OUT_NOTICE: z.string().default('30d'),
  TUANWU_HEALTH_CHECK_EVERY: z.string().default('1d'),
  TUANWU_CAMPAIGN_REMINDERS: z.string().default('3d,1d'),
  TUANWU_CAMPAIGN_ESCALATION_INTERVAL: z.string().default('1d'),
  TUANWU_EXCELLENT_CAP: z.coerce.number().gt(0, 'TUANWU_EXCELLENT_CAP: a share above 0').max(1, 'TUANWU_EXCELLENT_CAP: a share up to 1').optional(),
  TUANWU_CAMPAIGN_FAN_OUT_PAGE: z.coerce.number().int().min(1).max(5000).default(500),
  TUANWU_CAMPAIGN_START_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(32),
  TUANWU_ADMIN_TOKEN: z.string().min(16, 'TUANWU_ADMIN_TOKEN must have at least 16 characters').optional(),
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = Env.parse(env);
  return {
    temporalAddress: e.TEMPORAL_ADDRESS || `127.0.0.1:${e.TUANWU_TEMPORAL_PORT}`, // empty is unset, as scripts/start.ts reads it
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TUANWU_TASK_QUEUE,
    databaseUrl: e.DATABASE_URL,
    apiHost: e.HOST,
    apiPort: e.PORT,
    adminToken: e.TUANWU_ADMIN_TOKEN,
    uiOrigins: e.TUANWU_UI_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    timing: {
      checkIn: stepTimingFromEnv('TUANWU_CHECK_IN', DEFAULT_CHECK_IN_TIMING, env),
      transfer: transferTimingFromEnv(env),
      deletion: deletionTimingFromEnv(env),
      discipline: disciplineTimingFromEnv(env),
      memberChange: stepTimingFromEnv('TUANWU_MEMBER_CHANGE', DEFAULT_CHECK_IN_TIMING, env),
      joinDate: {
        branchReview: stepTimingFromEnv('TUANWU_JOIN_DATE_BRANCH_REVIEW', DEFAULT_CHECK_IN_TIMING, env),
        provinceReview: stepTimingFromEnv('TUANWU_JOIN_DATE_PROVINCE_REVIEW', DEFAULT_CHECK_IN_TIMING, env),
      },
    },
    numbers: {
      openAfterMs: parseDuration(e.TUANWU_NUMBERS_OPEN_AFTER),
      ...(e.TUANWU_LATE_ENTRY_AFTER ? { lateEntryMs: parseDuration(e.TUANWU_LATE_ENTRY_AFTER) } : {}),
    },
    ageOut: { checkEveryMs: parseDuration(e.TUANWU_AGE_OUT_CHECK_EVERY), noticeMs: parseDuration(e.TUANWU_AGE_OUT_NOTICE) },
    health: { checkEveryMs: parseDuration(e.TUANWU_HEALTH_CHECK_EVERY) },
    campaign: {
      reminderOffsetsMs: e.TUANWU_CAMPAIGN_REMINDERS.split(',')
        .filter((s) => s.trim() !== '')
        .map(parseDuration),
      escalationIntervalMs: parseDuration(e.TUANWU_CAMPAIGN_ESCALATION_INTERVAL),
      excellentCap: e.TUANWU_EXCELLENT_CAP ?? null,
      fanOutPage: e.TUANWU_CAMPAIGN_FAN_OUT_PAGE,
      startConcurrency: e.TUANWU_CAMPAIGN_START_CONCURRENCY,
    },
    abuse: abuseWatchFromEnv(env),
    dues: { checkEveryMs: parseDuration(e.TUANWU_DUES_CHECK_EVERY), remindAt: 5, removeAt: 6, maxAheadMonths: e.TUANWU_DUES_MAX_AHEAD_MONTHS },
    expulsionApproval: e.TUANWU_EXPULSION_APPROVAL,
    spotCheckRate: e.TUANWU_SPOT_CHECK_RATE,
    province: e.TUANWU_PROVINCE,
    peers: parsePeers(e.TUANWU_PEERS),
    graduateTargets: parseGraduateTargets(e.TUANWU_GRADUATE_TARGETS),
    graduateBaseDate: parseGraduateBaseDate(e.TUANWU_GRADUATE_BASE_DATE),
  };
}
