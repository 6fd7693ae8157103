/** One section's data could not be read this round (the rest of the page still updates). */
export function PartError({ text }: { text: string }) {
  return (
    <p className="op-warning" role="alert" data-testid="operator-part-error">
      {text}
    </p>
  );
}
