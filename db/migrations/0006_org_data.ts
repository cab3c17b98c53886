import type { Kysely } from 'kysely';

/** R20: the organization data the import and PATCH /api/organizations/{id} edit: industry category (行业类别), school type (办学性质). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('organizations').addColumn('industry_category', 'text').addColumn('school_type', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('organizations').dropColumn('industry_category').dropColumn('school_type').execute();
}
