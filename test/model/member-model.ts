// R25: the pure model of a member: the member's events, in order, replayed through the transition table of
// domain/member-transitions.ts. What it gives is what the record must show (test/member-model.test.ts).
import { MEMBER_TRANSITIONS, isLegal, statusAfter, type MemberEffect } from '../../domain/member-transitions';
import type { MemberStatus } from '../../domain/member-status';

export interface ModelEvent {
  id: string;
  type: string;
  process_id: string | null;
  org_id: string | null;
  payload: unknown;
  occurred_at: Date;
}

export interface Applied {
  effect: MemberEffect;
  processId: string | null;
  sanction: string | null;
  at: Date;
}

export interface Replayed {
  status: MemberStatus | null;
  branch: string | null;
  /** The sanction in force (R18/R23). */
  sanction: string | null;
  /** Events that say an effect happened that was not legal from the status the member had then. */
  illegal: string[];
  applied: Applied[];
  /** Event types the model does not know (so a new effect-bearing event is noticed). */
  unknown: string[];
}

const payloadOf = (e: ModelEvent): Record<string, unknown> =>
  (typeof e.payload === 'string' ? JSON.parse(e.payload) : (e.payload ?? {})) as Record<string, unknown>;

const SANCTION_EFFECTS: Record<string, MemberEffect> = {
  probation: 'sanction.probation',
  expulsion: 'sanction.expel',
  'removal-from-roll': 'sanction.remove',
};
/** The sanctions that change the status (R18); the others (warning, serious warning, 撤销团内职务) only mark. */
const STATUS_SANCTIONS = new Set(['probation', 'expulsion', 'removal-from-roll']);

/** Event types with no effect on the member's status or branch. */
export const NO_EFFECT = new Set<string>([
  'award.recorded',
  'award.revoked',
  'cadre.ended',
  'cadre.entered',
  'deadline.escalated',
  'deadline.overdue',
  'deadline.reminder',
  'deletion.applied',
  'deletion.checked',
  'deletion.forwarded',
  'deletion.refiled',
  'deletion.rejected',
  'deletion.returned',
  'discipline.approved',
  'discipline.decided',
  'discipline.dismissed',
  'discipline.expulsion-proposed',
  'discipline.opened',
  'discipline.probation-ended',
  'discipline.returned',
  'discipline.talk-recorded',
  'discipline.verified',
  'member-change.approved',
  'member-change.rejected',
  'member-change.requested',
  'member-change.returned',
  'member-change.withdrawn',
  'member.not-restored',
  'member.updated',
  'process.member-left',
  'process.voided',
  'transfer.rejected',
  'transfer.release-approved',
  'transfer.requested',
  'transfer.withdrawn',
]);

/** The effect an event reports, with the branch it leads to and the sanction; undefined: no effect on status or branch. */
export function effectOfEvent(e: ModelEvent): { effect: MemberEffect; branch?: string | null; sanction?: string | null; to?: MemberStatus } | undefined {
  const p = payloadOf(e);
  switch (e.type) {
    case 'check-in.approved':
      return { effect: 'check-in.approve', branch: e.org_id };
    case 'check-in.returned':
      return { effect: 'check-in.return' };
    case 'check-in.withdrawn':
      return { effect: 'check-in.withdraw' };
    case 'transfer.completed':
      // R9: into a branch here; R10: released to another province (the payload names the province, no branch).
      return typeof p.branchId === 'string' ? { effect: 'transfer.in', branch: p.branchId } : { effect: 'transfer.out' };
    case 'discipline.sanction-applied': {
      const sanction = String(p.sanction);
      if (sanction === 'none') return undefined;
      const effect = SANCTION_EFFECTS[sanction] ?? 'sanction.mark';
      return { effect, sanction };
    }
    case 'deletion.approved':
      return { effect: 'delete' };
    case 'discipline.rights-restored':
      return { effect: 'probation.restore' };
    case 'discipline.expelled':
      return { effect: 'probation.expel', sanction: 'expulsion' };
    case 'member.aged-out':
      return { effect: 'age-out' };
    case 'member.restored':
      // R23: a sanction that changed the status is undone to active; one that kept it only lifts the mark.
      return { effect: 'revoke', to: STATUS_SANCTIONS.has(String(p.sanction)) ? 'active' : undefined, sanction: String(p.sanction) };
    default:
      return undefined;
  }
}

export function replayMember(events: ModelEvent[]): Replayed {
  let status: MemberStatus | null = null;
  let branch: string | null = null;
  let sanction: string | null = null;
  const illegal: string[] = [];
  const applied: Applied[] = [];
  const unknown = new Set<string>();
  for (const e of events) {
    if (e.type === 'check-in.submitted') {
      // R1: a first check-in (or one after a return or a withdrawal) shows as pending in the chosen branch.
      if (status === null || status === 'returned' || status === 'withdrawn') {
        status = 'pending';
        branch = e.org_id;
      }
      continue;
    }
    const eff = effectOfEvent(e);
    if (!eff) {
      if (!NO_EFFECT.has(e.type)) unknown.add(e.type);
      continue;
    }
    if (status === null || !isLegal(eff.effect, status)) {
      // A quiet effect (R2's return of a former member's check-in, a sweep) leaves the record as it was.
      if (!MEMBER_TRANSITIONS[eff.effect].quiet) illegal.push(`${e.type} (${e.id}) from ${String(status)}`);
      continue;
    }
    const before: MemberStatus = status;
    status = eff.to ?? statusAfter(eff.effect, status);
    if (eff.effect.startsWith('sanction.') || eff.effect === 'probation.expel') sanction = eff.sanction ?? null;
    else if (eff.effect === 'probation.restore') sanction = null;
    else if (eff.effect === 'revoke' && (status !== before || sanction === eff.sanction)) sanction = null;
    if (eff.branch !== undefined && eff.branch !== null) branch = eff.branch;
    applied.push({ effect: eff.effect, processId: e.process_id, sanction: eff.sanction ?? null, at: new Date(e.occurred_at) });
  }
  return { status, branch, sanction, illegal, applied, unknown: [...unknown] };
}
