/**
 * The test digits whose attention the examples draw (the PNG figure in Node, the page in a browser):
 * the first of each class 0–7.
 */
import type { MnistSplit } from '../support/mnist.js';
import { pickRows } from './data.js';

const classes = [0, 1, 2, 3, 4, 5, 6, 7];

/** The first test digit of each class 0–7 that the split holds (fewer rows if a class is missing). */
export function figureDigits(test: MnistSplit): MnistSplit {
  const labels = test.labels.dataSync();
  const rows = classes.map((digit) => labels.indexOf(digit)).filter((row) => row >= 0);
  return pickRows(test, rows);
}

