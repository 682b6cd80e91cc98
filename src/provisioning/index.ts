export * from './apply';
export * from './endpoints';
export * from './engine';
export { fingerprintObservation, observe, type Observation } from './observe';
export * from './plan';
export * from './render';
export * from './types';
