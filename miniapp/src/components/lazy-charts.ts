// The charts (and their library) load only on the pages that draw one, as a chunk of their own.
import { lazy } from 'react';

export const BarChart = lazy(() => import('./charts').then((m) => ({ default: m.BarChart })));
export const LineChart = lazy(() => import('./charts').then((m) => ({ default: m.LineChart })));
