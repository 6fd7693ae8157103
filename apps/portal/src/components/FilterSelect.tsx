import type { Ref } from 'react';

export interface FilterOption {
  value: string;
  label: string;
}

/**
 * One labelled filter of a list page: "all" first (the empty value, i.e. no filter), then the options. A change
 * goes straight to `onChange`; the page keeps the filters in its URL, so a filtered view can be shared and reloaded.
 */
export function FilterSelect({
  id,
  label,
  value,
  allLabel,
  options,
  onChange,
  testId,
  selectRef,
}: {
  id: string;
  label: string;
  value: string;
  allLabel: string;
  options: readonly FilterOption[];
  onChange: (value: string) => void;
  testId: string;
  selectRef?: Ref<HTMLSelectElement>;
}) {
  return (
    <div className="filter">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        ref={selectRef}
        value={value}
        onChange={(e) => {
          onChange(e.target.value);
        }}
        data-testid={testId}
      >
        <option value="">{allLabel}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A yes/no filter of a list page (checked: the filter applies). */
export function FilterCheckbox({
  id,
  label,
  checked,
  onChange,
  testId,
}: {
  id: string;
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  testId: string;
}) {
  return (
    <div className="filter filter--checkbox">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        onChange={(e) => {
          onChange(e.target.checked);
        }}
        data-testid={testId}
      />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}
