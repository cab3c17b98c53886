// Column types shared by the schema's tables (kysely's ColumnType: what a select returns, an insert and an update take).
import type { ColumnType } from 'kysely';

export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
export type Json<T = unknown> = ColumnType<T, string, string>;
