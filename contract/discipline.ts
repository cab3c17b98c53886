// R18: a disciplinary case: opened by the branch, its materials, the talk and the meeting recorded.
import { z } from 'zod';
import { DisciplineStart, MeetingDecision, TalkRecord } from '../domain/discipline';
import { singleLine } from '../domain/text';

export { DisciplineStart, MeetingDecision, TalkRecord };

export const DisciplineOpened = z.object({ processId: z.uuid(), step: z.string(), deadline: z.string() });
export type DisciplineOpened = z.infer<typeof DisciplineOpened>;

/** A material's bytes are the body; its name rides in a header. */
export const MaterialHeaders = z.object({ 'x-filename': singleLine(200) });
export const MaterialStored = z.object({ id: z.uuid(), sha256: z.string(), size: z.number() });
export type MaterialStored = z.infer<typeof MaterialStored>;
export const MaterialParams = z.object({ id: z.uuid(), materialId: z.uuid() });

export const StepAnswer = z.object({ processId: z.uuid(), step: z.string() });
export type StepAnswer = z.infer<typeof StepAnswer>;
