// What the API resolves for a workflow before sending it a decision, by the preparation a kind declares
// (processes/<kind>.ts `prepare`): typed over every preparation, so a declared one without its function is a
// compile error.
import type { Db } from '../db';
import type { ProcessRow } from '../db/schema';
import type { Principal } from '../domain/authz';
import type { DecisionBody, DecisionCommand } from '../domain/processes';
import type { Preparation } from '../processes/definition';
import { prepareTransferDecision } from '../services/transfers';
import { prepareDisciplineDecision } from '../services/discipline';
import { prepareCampaignDecision } from '../services/campaign-checks';

export type Prepare = (db: Db, row: ProcessRow, body: DecisionBody, p: Principal) => Promise<Partial<DecisionCommand>>;

export const PREPARATIONS: Record<Preparation, Prepare> = {
  /** The step the caller saw and the caller's role, for processes whose steps each belong to one role. */
  'step-and-role': async (_db, row, _body, p) => ({ step: row.step, actorRole: p.role }),
  transfer: prepareTransferDecision,
  discipline: prepareDisciplineDecision,
  campaign: prepareCampaignDecision,
};
