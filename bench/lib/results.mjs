// Several benchmarks report into one results file, each into its own marked section, so a re-run
// of one replaces its own figures and keeps the others'.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Replaces (or appends) the section `name` of the markdown file `file` with `markdown`. */
export function writeResultSection(file, title, name, markdown) {
  const start = `<!-- ${name} -->`;
  const end = `<!-- /${name} -->`;
  const section = `${start}\n${markdown.trim()}\n${end}`;
  const current = existsSync(file)
    ? readFileSync(file, "utf8")
    : `# ${title}\n`;
  const at = current.indexOf(start);
  const until = current.indexOf(end);
  const next =
    at >= 0 && until > at
      ? current.slice(0, at) + section + current.slice(until + end.length)
      : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}
