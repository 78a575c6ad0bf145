// Types for shrinkwrap.mjs (plain JavaScript so that `npm pack` can run it without a TypeScript loader).
export interface TreeEntry {
  version: string;
  dependencies?: Record<string, string>;
  dev?: boolean;
  optional?: boolean;
  [field: string]: unknown;
}
export interface Lockfile {
  name?: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, TreeEntry>;
}
export interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [field: string]: unknown;
}
export function resolveIn(
  packages: Record<string, TreeEntry>,
  from: string,
  name: string,
): string | undefined;
export function workerShrinkwrap(rootLock: Lockfile, workerPkg: PackageJson): Lockfile;
export function onnxRuntimeProblem(packages: Record<string, TreeEntry>): string | undefined;
export function installedTree(dir: string): Record<string, TreeEntry>;
export function treeDifferences(shrinkwrap: Lockfile, installed: Record<string, TreeEntry>): string[];
