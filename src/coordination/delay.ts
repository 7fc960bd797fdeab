export { delay } from '../shared/delay.js';
