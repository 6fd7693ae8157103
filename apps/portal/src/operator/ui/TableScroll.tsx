import type { ReactNode } from 'react';

/**
 * A wide table's own scrolling box on a narrow screen. It is focusable and named, so keyboard users can scroll
 * it too (a scrollable region nobody can focus is unreachable without a mouse).
 */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="op-table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
