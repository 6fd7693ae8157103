import type { LagPoint } from '../live/stream-state';

/** The SVG polyline of a series, scaled into width × height (a flat series sits on the bottom edge). */
export function sparkPath(points: readonly LagPoint[], width: number, height: number): string {
  if (points.length === 0) return '';
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return '';
  const span = Math.max(1, last.at - first.at);
  const max = Math.max(...points.map((p) => p.lag));
  const min = Math.min(...points.map((p) => p.lag));
  const range = max - min;
  return points
    .map((p) => {
      const x = points.length === 1 ? width : ((p.at - first.at) / span) * width;
      const y = range === 0 ? height - 1 : height - 1 - ((p.lag - min) / range) * (height - 2);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

/** A small trend line; its meaning is in `label` for screen readers (the table cell beside it has the number). */
export function Sparkline({ points, label }: { points: readonly LagPoint[]; label: string }) {
  const width = 120;
  const height = 28;
  return (
    <svg
      className="op-sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
      data-testid="lag-sparkline"
    >
      <polyline points={sparkPath(points, width, height)} fill="none" stroke="#1d4ed8" strokeWidth={1.5} />
    </svg>
  );
}
