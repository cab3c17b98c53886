// Transfers of the organizational relation (R9-R13): messages, workflow input, and per-step timing.
import { z } from 'zod';
import { OrgId } from './orgs';
import { Profile } from './members';
import { Destination } from './routing';
import { freeText } from './text';
import { StepPolicy, StepTiming, parseDuration } from './durations';
import type { OrgRef } from './orgs';

export type TransferStep =
  | 'release' // the sending branch approves the release
  | 'awaiting-branch' // the destination branch does not exist yet (R12, freshmen)
  | 'arrival' // the receiving organization approves the arrival
  | 'placement' // a receiving committee or general branch places the member into one of its branches
  | 'peer-arrival' // outbound (R10): the other province confirms the arrival
  | 'arrival-check-in' // inbound (R10): the receiving branch's check-in review, a child workflow
  | 'peer-release'; // inbound: the other province confirms the release

/** Per waiting step; approval by timeout is possible only where a human approval is (release, arrival). */
export const TransferTiming = z.object({
  release: StepPolicy,
  arrival: StepPolicy,
  placement: StepPolicy.extend({ onTimeout: z.enum(['remind', 'lapse']) }),
  awaitBranch: StepPolicy.extend({ onTimeout: z.enum(['remind', 'lapse']) }),
  peer: StepPolicy.extend({ onTimeout: z.enum(['remind', 'lapse']) }),
});
export type TransferTiming = z.infer<typeof TransferTiming>;

const DAY = 86_400_000;
const tenDays = { deadlineMs: 10 * DAY, reminderOffsetsMs: [3 * DAY, 1 * DAY], escalationIntervalMs: DAY };

/** R9: every side has a deadline and is reminded and escalated like R3; by default a timeout only reminds. */
export const DEFAULT_TRANSFER_TIMING: TransferTiming = {
  release: { ...tenDays, onTimeout: 'remind' },
  arrival: { ...tenDays, onTimeout: 'remind' },
  placement: { ...tenDays, onTimeout: 'remind' },
  // Freshman branches are created when the term starts; the wait is long and reminds the university.
  awaitBranch: { deadlineMs: 90 * DAY, reminderOffsetsMs: [14 * DAY], escalationIntervalMs: 7 * DAY, onTimeout: 'remind' },
  peer: { deadlineMs: 30 * DAY, reminderOffsetsMs: [7 * DAY], escalationIntervalMs: 3 * DAY, onTimeout: 'remind' },
};

const ENV_STEP: Record<keyof TransferTiming, string> = {
  release: 'RELEASE',
  arrival: 'ARRIVAL',
  placement: 'PLACEMENT',
  awaitBranch: 'AWAIT_BRANCH',
  peer: 'PEER',
};

/** TUANWU_TRANSFER_<STEP>_DEADLINE / _REMINDERS / _ESCALATION_INTERVAL / _ON_TIMEOUT, e.g. TUANWU_TRANSFER_RELEASE_ON_TIMEOUT=approve. */
export function transferTimingFromEnv(env: NodeJS.ProcessEnv, base: TransferTiming = DEFAULT_TRANSFER_TIMING): TransferTiming {
  const out: Record<string, unknown> = {};
  for (const [step, name] of Object.entries(ENV_STEP) as [keyof TransferTiming, string][]) {
    const prefix = `TUANWU_TRANSFER_${name}`;
    const d = base[step];
    const reminders = env[`${prefix}_REMINDERS`];
    out[step] = {
      deadlineMs: env[`${prefix}_DEADLINE`] ? parseDuration(env[`${prefix}_DEADLINE`]!) : d.deadlineMs,
      reminderOffsetsMs:
        reminders !== undefined
          ? reminders
              .split(',')
              .filter((s) => s.trim())
              .map(parseDuration)
          : d.reminderOffsetsMs,
      escalationIntervalMs: env[`${prefix}_ESCALATION_INTERVAL`] ? parseDuration(env[`${prefix}_ESCALATION_INTERVAL`]!) : d.escalationIntervalMs,
      onTimeout: env[`${prefix}_ON_TIMEOUT`] ?? d.onTimeout,
    };
  }
  const parsed = TransferTiming.safeParse(out);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`TUANWU_TRANSFER_${ENV_STEP[i.path[0] as keyof TransferTiming]}: ${i.path.slice(1).join('.')} ${i.message}`);
  }
  return parsed.data;
}

/** Body of POST /api/transfers: exactly one of a known organization, a destination to route (R11), or another province (R10). */
export const TransferStart = z
  .object({
    memberId: z.uuid(),
    toOrgId: OrgId.optional(),
    destination: Destination.optional(),
    toProvince: z.object({ province: z.string().regex(/^[a-z]{2,8}$/), branchId: OrgId }).optional(),
    reason: freeText(500).optional(),
  })
  .superRefine((b, ctx) => {
    const given = [b.toOrgId, b.destination, b.toProvince].filter((x) => x !== undefined).length;
    if (given !== 1)
      ctx.addIssue({ code: 'custom', path: ['toOrgId'], message: 'R9: give exactly one of toOrgId, destination (routed by R11) or toProvince (R10)' });
  });
export type TransferStart = z.infer<typeof TransferStart>;

export interface TransferInput {
  processId: string;
  memberId: string;
  direction: 'internal' | 'outbound' | 'inbound';
  startedBy: string;
  reason?: string;
  /** The sending branch (absent for inbound: it is in the other province). */
  from: OrgRef | null;
  /** The receiving organization; null while waiting for it to be created, or when it is in another province. */
  to: OrgRef | null;
  /** R12: the destination branch to wait for, and the organization that will create it (acts and is escalated meanwhile). */
  awaitOrg?: { id: string; parent: OrgRef };
  route?: { case: string; reason: string };
  peer?: { province: string; transferId: string; branchId: string };
  /** Inbound only: the profile the other province sent, for the receiving branch's check-in (R10). */
  profile?: Profile;
  graduateCohort: number | null;
  timing: TransferTiming;
  checkInTiming: StepTiming;
}

export type PeerMessageType = 'release-confirmed' | 'arrival-confirmed' | 'rejected';

/** A message from the other province, delivered to the transfer as a signal. */
export interface PeerMessage {
  type: PeerMessageType;
  reason?: string;
  branchId?: string;
}

export { transferWorkflowId } from './workflow-ids';
