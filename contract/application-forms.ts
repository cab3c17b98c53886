// R24: a member's scanned application form (入团志愿书), and the members of a subtree still missing one.
import { z } from 'zod';

export const FormView = z.object({ memberId: z.uuid(), sha256: z.string(), size: z.number().int(), uploadedAt: z.string() });
export type FormView = z.infer<typeof FormView>;

/** The file's name rides in a header (URI-encoded), the body being the file's bytes. */
export const FormUploadHeaders = z.object({ 'x-filename': z.string().max(1000).optional() });

export const MissingQuery = z.object({
  orgId: z.string().min(1).max(63).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
export type MissingQuery = z.input<typeof MissingQuery>;

export const MissingItem = z.object({
  memberId: z.uuid(),
  name: z.string(),
  branchId: z.string(),
  approvedAt: z.string(),
  daysSinceApproval: z.number().int(),
});
export type MissingForm = z.infer<typeof MissingItem>;

export const MissingPage = z.object({ total: z.number().int(), items: z.array(MissingItem), nextCursor: z.string().nullable() });
export type MissingPage = z.infer<typeof MissingPage>;
