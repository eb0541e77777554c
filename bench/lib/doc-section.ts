/**
 * A section of docs/performance.md between `<!-- NAME:begin -->` and `<!-- NAME:end -->`, so a
 * part that writes only its own section (or a full report that keeps it) leaves the rest alone.
 */
export interface DocSection {
  begin: string;
  end: string;
  /** The section as `docs` has it now (markers included), or null. */
  existing(docs: string): string | null;
  /** `docs` with the section replaced by `section` (appended if it had none). */
  replace(docs: string, section: string): string;
}

export function docSection(name: string): DocSection {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const existing = (docs: string) => {
    const b = docs.indexOf(begin);
    const e = docs.indexOf(end);
    return b >= 0 && e > b ? docs.slice(b, e + end.length) : null;
  };
  return {
    begin,
    end,
    existing,
    replace(docs, section) {
      const old = existing(docs);
      return old === null ? `${docs.trimEnd()}\n\n${section}\n` : docs.replace(old, () => section);
    },
  };
}
