// No merge conflict markers in the tree: a README once shipped with one from a merge resolved in a hurry, and
// neither the compiler nor the linter reads Markdown. Checks every file git tracks, as text.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The lines that open and close a conflict (the ======= between them is also a Markdown rule's spelling).
const MARKER = /^(<{7}|>{7}) /;

/** The `file:line` of each conflict marker in `text`. */
function conflictMarkers(file: string, text: string): string[] {
  return text.split('\n').flatMap((line, i) => (MARKER.test(line) ? [`${file}:${i + 1}`] : []));
}

describe('conflict markers', () => {
  it('finds the start and end of a conflict, not prose or a Markdown rule', () => {
    const text = [
      'a',
      '<<<<<<< HEAD',
      'b',
      '=======',
      'c',
      '>>>>>>> branch',
      '# =======',
      'd <<<<<<< e',
    ].join('\n');
    expect(conflictMarkers('x.md', text)).toEqual(['x.md:2', 'x.md:6']);
  });

  it('no file git tracks holds one', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      .split('\0')
      .filter(
        (f) =>
          /\.(ts|tsx|js|mjs|json|md|sql|tolk|html|css|yml|yaml|sh)$/.test(f) && !f.includes('package-lock'),
      );
    const found = files.flatMap((f) => {
      try {
        return conflictMarkers(f, readFileSync(f, 'utf8'));
      } catch {
        return []; // listed but absent (a deleted, uncommitted file)
      }
    });
    expect(found).toEqual([]);
  });
});
