// The evaluation set's hand-written scenes: the messages that carry what a summary must keep, with the
// facts (each fact: its accepted spellings, matched case-insensitively) and the length the scene is padded
// to with chatter (build-eval-set.ts). Written before any tuning of the chat summarizer; do not edit the
// facts to fit a result. A line is "Author|text", or "Author>k|text" for a reply to the scene's k-th line.
import { SCENES_1 } from './scenes-1';
import { SCENES_2 } from './scenes-2';

export interface Scene {
  id: string;
  title: string;
  lang: 'en' | 'ru' | 'mixed';
  /** Messages in the padded transcript (scene lines included). */
  length: number;
  lines: string[];
  facts: string[][];
}

/** Every scene, in the evaluation set's order. */
export const SCENES: Scene[] = [...SCENES_1, ...SCENES_2];
