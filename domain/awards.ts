// R23: what an award entry's `award.*` events carry, as the member's history shows it (no personal data). Pure, so
// that both the activities writing the events and the API contract describing the history read one shape.
import { z } from 'zod';

/** The fields of an entry the member's history shows with its `award.*` events (no personal data). */
export const AwardHistoryFields = z.object({
  awardId: z.uuid(),
  type: z.enum(['reward', 'punishment']),
  kind: z.string(),
  level: z.string().optional(),
  decidedOn: z.string().optional(),
  decidingOrg: z.string().optional(),
  documentNumber: z.string().optional(),
  sourceProcessId: z.uuid().optional(),
});
export type AwardHistoryFields = z.infer<typeof AwardHistoryFields>;
