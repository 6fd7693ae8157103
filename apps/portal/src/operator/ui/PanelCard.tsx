import type { ReactNode } from 'react';
import { PartError } from '../overview/PartError';

/**
 * One panel of the dashboard: a titled section whose part of the data may have failed (the rest still shows) or
 * be empty. The three states are told apart in words, never by an empty box.
 */
export function PanelCard({
  id,
  testId,
  title,
  error,
  empty,
  emptyText,
  wide = false,
  children,
}: {
  /** The heading's id (the section is labelled by it). */
  id: string;
  testId: string;
  title: ReactNode;
  /** The failure to show above whatever data there still is. */
  error?: string | undefined;
  empty: boolean;
  emptyText: string;
  wide?: boolean;
  children: ReactNode;
}) {
  return (
    <section className={wide ? 'op-card op-wide' : 'op-card'} aria-labelledby={id} data-testid={testId}>
      <h2 id={id}>{title}</h2>
      {error ? <PartError text={error} /> : null}
      {empty ? error ? null : <p className="op-muted">{emptyText}</p> : children}
    </section>
  );
}
