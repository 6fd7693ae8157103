/**
 * The `VALUES` list of a multi-row statement and its parameters: `rows` of equal length become `($1, $2), ($3, $4)`,
 * numbered after `offset` parameters the statement already has. One statement for a set of rows costs one round
 * trip instead of one per row; PostgreSQL takes at most 65,535 parameters, far above a flush's rows × columns.
 */
export function valuesList(rows: readonly (readonly unknown[])[], offset = 0): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const width = rows[0]?.length ?? 0;
  const tuples = rows.map((row) => {
    if (row.length !== width) throw new Error(`valuesList: a row of ${row.length} values among rows of ${width}`);
    const first = offset + params.length + 1;
    params.push(...row);
    return `(${row.map((_, i) => `$${first + i}`).join(', ')})`;
  });
  return { sql: tuples.join(', '), params };
}
