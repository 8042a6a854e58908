import { randomBytes } from 'node:crypto';

/** A 64-hex identifier, as docker uses for containers and exec sessions. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

const LEFT = [
  'admiring', 'adoring', 'affectionate', 'agitated', 'amazing', 'angry', 'awesome', 'beautiful',
  'blissful', 'bold', 'boring', 'brave', 'busy', 'charming', 'clever', 'compassionate', 'competent',
  'condescending', 'confident', 'cool', 'cranky', 'crazy', 'dazzling', 'determined', 'distracted',
  'dreamy', 'eager', 'ecstatic', 'elastic', 'elated', 'elegant', 'eloquent', 'epic', 'exciting',
  'fervent', 'festive', 'flamboyant', 'focused', 'friendly', 'frosty', 'funny', 'gallant', 'gifted',
  'goofy', 'gracious', 'great', 'happy', 'hardcore', 'heuristic', 'hopeful', 'hungry', 'infallible',
  'inspiring', 'intelligent', 'interesting', 'jolly', 'jovial', 'keen', 'kind', 'laughing', 'loving',
  'lucid', 'magical', 'modest', 'musing', 'mystifying', 'naughty', 'nervous', 'nice', 'nifty',
  'nostalgic', 'objective', 'optimistic', 'peaceful', 'pedantic', 'pensive', 'practical', 'priceless',
  'quirky', 'quizzical', 'recursing', 'relaxed', 'reverent', 'romantic', 'sad', 'serene', 'sharp',
  'silly', 'sleepy', 'stoic', 'strange', 'stupefied', 'suspicious', 'sweet', 'tender', 'thirsty',
  'trusting', 'unruffled', 'upbeat', 'vibrant', 'vigilant', 'vigorous', 'wizardly', 'wonderful',
  'xenodochial', 'youthful', 'zealous', 'zen',
];
const RIGHT = [
  'albattani', 'allen', 'almeida', 'archimedes', 'ardinghelli', 'babbage', 'banach', 'bardeen',
  'bartik', 'bassi', 'bell', 'benz', 'bhabha', 'bhaskara', 'blackwell', 'bohr', 'booth', 'borg',
  'bose', 'boyd', 'brahmagupta', 'brattain', 'brown', 'carson', 'chandrasekhar', 'curie', 'darwin',
  'davinci', 'dijkstra', 'dirac', 'einstein', 'elion', 'engelbart', 'euclid', 'euler', 'faraday',
  'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gates', 'goldberg', 'goodall', 'hamilton',
  'hawking', 'heisenberg', 'hermann', 'hodgkin', 'hoover', 'hopper', 'hypatia', 'jackson', 'jang',
  'jennings', 'johnson', 'joliot', 'kalam', 'keller', 'kepler', 'khorana', 'kilby', 'knuth',
  'lalande', 'lamarr', 'leakey', 'leavitt', 'lovelace', 'lumiere', 'mahavira', 'mayer', 'mccarthy',
  'mclean', 'meitner', 'mendel', 'merkle', 'mirzakhani', 'morse', 'napier', 'newton', 'nobel',
  'noether', 'pare', 'pascal', 'pasteur', 'payne', 'perlman', 'pike', 'poincare', 'ptolemy', 'raman',
  'ramanujan', 'ride', 'ritchie', 'roentgen', 'rosalind', 'saha', 'sammet', 'shannon', 'shaw',
  'shockley', 'sinoussi', 'snyder', 'spence', 'stonebraker', 'sutherland', 'swanson', 'swartz',
  'tesla', 'thompson', 'torvalds', 'turing', 'varahamihira', 'visvesvaraya', 'volhard', 'wescoff',
  'wilbur', 'wiles', 'williams', 'wilson', 'wing', 'wozniak', 'wright', 'yalow', 'yonath',
];

/** A docker-style random name such as `focused_turing`. */
export function randomName(retry = 0): string {
  const pick = <T>(xs: readonly T[]): T => xs[randomBytes(2).readUInt16BE(0) % xs.length]!;
  const name = `${pick(LEFT)}_${pick(RIGHT)}`;
  return retry > 0 ? `${name}${randomBytes(1)[0]! % 10}` : name;
}
