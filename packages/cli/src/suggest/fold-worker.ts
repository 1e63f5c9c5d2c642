/**
 * A worker thread of `suggest` (./evidence-input.ts, readEvidenceFilesInParallel): reads and folds its
 * share of the evidence files and hands back its fold, or the error that stopped it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readEvidenceFiles, SuggestInputError } from './evidence-input';
import { transferList, type WorkerAnswer } from './fold-transfer';

const paths = (workerData as { paths: string[] }).paths;
try {
  const fold = readEvidenceFiles(paths).transfer();
  parentPort?.postMessage({ fold } satisfies WorkerAnswer, transferList(fold));
} catch (err) {
  const answer: WorkerAnswer = { error: err instanceof Error ? err.message : String(err), input: err instanceof SuggestInputError };
  parentPort?.postMessage(answer);
}
