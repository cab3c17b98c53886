// R8: an organization's cadres (团干部): enter one, list them, end a term.
import { z } from 'zod';
import { CadreBody, CadreRole, EndCadreBody } from '../domain/cadres';
import { IdParams, PiiString } from './common';

export { CadreBody, CadreRole, EndCadreBody };

export const CadreView = z.object({
  id: z.uuid(),
  orgId: z.string(),
  name: z.string(),
  /** Whole for the organization itself, masked for every level above, its direct superior too (domain/privacy.ts). */
  idNumber: PiiString('idNumber'),
  role: CadreRole,
  post: z.string(),
  termStart: z.string(),
  termEnd: z.string().nullable(),
  endedAt: z.string().nullable(),
  /** R8/R25: current today: not ended, its term not passed, its holder not left (db/queries/cadres.ts). */
  current: z.boolean(),
  /** The member record with the same ID number, if any (R8: linked, neither replaces the other). */
  memberId: z.uuid().nullable(),
});
export type CadreView = z.infer<typeof CadreView>;

export const CadreList = z.object({ items: z.array(CadreView) });
export type CadreList = z.infer<typeof CadreList>;

export const CadreParams = IdParams.extend({ cadreId: z.uuid() });
export type CadreBodyInput = z.input<typeof CadreBody>;
