// The model catalogue: which bytes a model name means on this network. The operator keeps it in a JSON file
// (MODEL_CATALOGUE), read at start: { "models": [{ name, digest, kinds, contextLength, demoGrade,
// deterministic }] }. A rig whose digest for a catalogued model differs (or is missing: an older worker) is
// refused for that model. A model not in the catalogue is refused outside local mode, and accepted unpinned
// in local mode (a developer's own model folders). A new version of a model is a new entry, under a new name.
// A digest is self-reported: it catches misconfiguration; catching a rig that lies is the audits' job.
import { readFileSync } from 'node:fs';
import { jobKind, modelDigest, modelId, type ServedModel } from '@cocoon/shared';
import { z } from 'zod';

export const catalogueEntry = z.strictObject({
  name: modelId,
  digest: modelDigest,
  kinds: z.array(jobKind).min(1),
  contextLength: z.number().int().positive(),
  demoGrade: z.boolean().default(false),
  /** Same input, same output (extractive, greedy): audits compare exactly; false for sampled generation. */
  deterministic: z.boolean(),
});
export type CatalogueEntry = z.infer<typeof catalogueEntry>;

export const catalogueFile = z
  .strictObject({ models: z.array(catalogueEntry) })
  .refine(
    (c) => new Set(c.models.map((m) => m.name)).size === c.models.length,
    'a model name is listed twice (a new version is a new name)',
  );

/** What the proxy makes of one model of a rig's hello. */
export type ModelVerdict =
  | { served: true; entry?: CatalogueEntry }
  | { served: false; reason: string; entry?: CatalogueEntry };

export class ModelCatalogue {
  private readonly byName: Map<string, CatalogueEntry>;

  constructor(
    entries: readonly CatalogueEntry[],
    /** Local mode: models not in the catalogue are accepted (unpinned). */
    private readonly acceptUncatalogued: boolean,
  ) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  get(name: string): CatalogueEntry | undefined {
    return this.byName.get(name);
  }

  entries(): CatalogueEntry[] {
    return [...this.byName.values()];
  }

  judge(model: Pick<ServedModel, 'id' | 'digest'>): ModelVerdict {
    const entry = this.byName.get(model.id);
    if (!entry)
      return this.acceptUncatalogued
        ? { served: true }
        : { served: false, reason: `${model.id} is not in this network's model catalogue` };
    if (!model.digest)
      return {
        served: false,
        entry,
        reason: `${model.id}: the rig reported no digest (an older worker); the catalogue pins ${entry.digest.slice(0, 12)}…`,
      };
    if (model.digest !== entry.digest)
      return {
        served: false,
        entry,
        reason: `${model.id}: the rig's files have digest ${model.digest.slice(0, 12)}…, the catalogue pins ${entry.digest.slice(0, 12)}…; serve the catalogued files, or name another version another model`,
      };
    return { served: true, entry };
  }
}

/** Reads and checks a catalogue file; throws an Error naming the file and what is wrong with it. */
export function readCatalogueFile(file: string): CatalogueEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`MODEL_CATALOGUE ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = catalogueFile.safeParse(json);
  if (!parsed.success) throw new Error(`MODEL_CATALOGUE ${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data.models;
}
