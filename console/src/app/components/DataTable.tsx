import type { ReactNode } from "react";

/**
 * One column of a {@link DataTable}: its heading and how a row fills its cell. The heading is also
 * each cell's `data-label`, which the narrow-screen stylesheet prints before the value when the
 * table collapses into one card per row (`cards`), so a phone reader never loses the heading.
 */
export interface Column<Row> {
  readonly label: string;
  readonly cell: (row: Row) => ReactNode;
  readonly className?: string;
  /** The heading is read out by screen readers but not shown (a column of buttons). */
  readonly hideLabel?: boolean;
  /** The cell names its row (`<th scope="row">`), read first by screen readers. */
  readonly rowHeader?: boolean;
}

/**
 * The console's one table: every page lists rows the same way (a scrolling wrapper, column
 * headings with scope, one card per row on a phone), so the markup and its accessibility live here.
 */
export function DataTable<Row>(props: {
  readonly columns: readonly Column<Row>[];
  readonly rows: readonly Row[];
  readonly rowKey: (row: Row) => string;
  /** Collapse to one card per row on narrow screens (every table but short numeric ones). */
  readonly cards?: boolean;
  readonly className?: string;
  /** Read by screen readers before the table (what the rows are, and their order). */
  readonly caption?: string;
  readonly testId?: string;
}) {
  const className = [props.className, props.cards ? "cards" : undefined]
    .filter(Boolean)
    .join(" ");
  return (
    <div className="table-wrap">
      <table className={className || undefined} data-testid={props.testId}>
        {props.caption ? (
          <caption className="visually-hidden">{props.caption}</caption>
        ) : null}
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th scope="col" key={column.label}>
                {column.hideLabel ? (
                  <span className="visually-hidden">{column.label}</span>
                ) : (
                  column.label
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={props.rowKey(row)}>
              {props.columns.map((column) =>
                column.rowHeader ? (
                  <th
                    scope="row"
                    key={column.label}
                    data-label={column.label}
                    className={column.className}
                  >
                    {column.cell(row)}
                  </th>
                ) : (
                  <td
                    key={column.label}
                    data-label={column.label}
                    className={column.className}
                  >
                    {column.cell(row)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
