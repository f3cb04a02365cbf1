import { Random } from '../../src/routing/random-source';

/**
 * Prompts of five recognisable families, generated from templates with varied slots, so that few
 * repeat: the evaluation's traffic without task types. The router never sees the family; only the
 * evaluation's truth and its oracle do.
 */

export const FAMILIES = ['code', 'math', 'creative', 'summary', 'sql'] as const;
export type Family = (typeof FAMILIES)[number];

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (random: Random, low: number, high: number) => low + Math.floor(random() * (high - low + 1));

const LANGUAGES = ['Python', 'TypeScript', 'Go', 'Rust', 'Java', 'C#', 'Kotlin', 'Ruby', 'JavaScript', 'C++'];
const CODE_TASKS = [
  'parses a CSV file and returns the rows as objects',
  'retries an HTTP request with exponential backoff',
  'merges two sorted arrays into one sorted array',
  'validates an email address and returns the error',
  'computes the Levenshtein distance of two strings',
  'reads a config file and falls back to defaults',
  'implements an LRU cache with a fixed capacity',
  'debounces a callback by a given number of milliseconds',
  'walks a directory tree and lists files larger than a limit',
  'serializes a binary tree to a string and back',
  'rate limits calls with a token bucket',
  'groups a list of records by a key',
];
const CODE_SNIPPETS = [
  'def total(items):\n    result = 0\n    for item in items:\n        result += item.price\n    return result',
  'function load(path) {\n  const data = fs.readFileSync(path);\n  return JSON.parse(data);\n}',
  'for (int i = 0; i <= n; i++) {\n    sum += values[i];\n}',
  'const user = await repo.find({ where: { id } });\nif (!user) throw new Error("missing");',
  'func handler(w http.ResponseWriter, r *http.Request) {\n\tbody, _ := io.ReadAll(r.Body)\n\tw.Write(body)\n}',
  'let mut v = Vec::new();\nfor x in input.iter() { v.push(x * 2); }',
];

const NAMES = ['Ana', 'Tom', 'Priya', 'Lee', 'Omar', 'Sara', 'Jon', 'Mia', 'Ravi', 'Eva', 'Kofi', 'Lena'];
const ITEMS = ['apples', 'pencils', 'tickets', 'books', 'marbles', 'stamps', 'cupcakes', 'bottles', 'cards', 'plants'];
const SHOPS = ['a bakery', 'a school fair', 'the market', 'a bookshop', 'a garden centre', 'the cinema'];

const CREATURES = ['a lighthouse keeper', 'a retired robot', 'a fox who cannot sleep', 'two rival chefs', 'a lost astronaut', 'a dragon afraid of fire', 'a street violinist', 'an old ferryman'];
const PLACES = ['a drowned city', 'a night train', 'the edge of the desert', 'a tiny island', 'a snowed-in village', 'a city of bridges', 'an abandoned fairground'];
const FORMS = ['a short story', 'a poem', 'a haiku sequence', 'a fairy tale', 'a sonnet', 'a bedtime story', 'a monologue'];
const MOODS = ['melancholic', 'funny', 'hopeful', 'eerie', 'tender', 'absurd', 'bittersweet'];

const TOPICS = ['the quarterly sales meeting', 'a study on sleep and memory', 'the city council budget debate', 'a product launch retrospective', 'an incident report about a server outage', 'a paper on coral reef recovery', 'the onboarding guide for new nurses', 'a court ruling on data privacy'];
const SENTENCE_PARTS = {
  subject: ['The team', 'Participants', 'The committee', 'Researchers', 'The authors', 'Managers', 'Most respondents', 'The board', 'Engineers', 'The report'],
  verb: ['noted that', 'argued that', 'found that', 'agreed that', 'observed that', 'concluded that', 'warned that', 'suggested that'],
  object: [
    'costs rose faster than expected in the second half',
    'the new process reduced waiting times by a third',
    'several risks remain unaddressed until next year',
    'the pilot should be extended to two more regions',
    'staffing levels were the main constraint',
    'customer satisfaction improved after the redesign',
    'the data did not support the original hypothesis',
    'a follow-up review is planned for the spring',
    'the budget for training was cut in half',
    'communication between departments must improve',
  ],
};

const TABLES = [
  { name: 'orders', columns: 'id, customer_id, total, created_at' },
  { name: 'employees', columns: 'id, name, department_id, salary, hired_on' },
  { name: 'page_views', columns: 'id, user_id, url, viewed_at' },
  { name: 'invoices', columns: 'id, account_id, amount, due_date, paid' },
  { name: 'shipments', columns: 'id, order_id, carrier, shipped_at, delivered_at' },
  { name: 'products', columns: 'id, name, category, price, stock' },
];
const SQL_ASKS = [
  'the top {n} rows by {col} for each month',
  'the running total of {col} over time',
  'duplicates on {col} and how many times each appears',
  'the average {col} per group, only groups with more than {n} rows',
  'rows whose {col} is above the median',
  'the share of rows with a missing {col}',
];

const GENERATORS: Record<Family, (random: Random) => string> = {
  code: (random) => {
    const language = pick(random, LANGUAGES);
    const task = pick(random, CODE_TASKS);
    switch (int(random, 0, 3)) {
      case 0:
        return `Write a ${language} function that ${task}. Include type hints and a short docstring.`;
      case 1:
        return `Here is some code:\n\n${pick(random, CODE_SNIPPETS)}\n\nRefactor it so that it ${task}, and explain the change.`;
      case 2:
        return `I get an off-by-one error in this loop:\n${pick(random, CODE_SNIPPETS)}\nWhy, and how do I fix it in ${language}?`;
      default:
        return `Implement a ${language} class that ${task}. Add unit tests for the edge cases.`;
    }
  },
  math: (random) => {
    const [a, b, c] = [int(random, 3, 90), int(random, 2, 40), int(random, 2, 12)];
    const [who, other] = [pick(random, NAMES), pick(random, NAMES)];
    const item = pick(random, ITEMS);
    switch (int(random, 0, 3)) {
      case 0:
        return `${who} has ${a} ${item}. ${who} gives ${b} to ${other} and then buys ${c} more at ${pick(random, SHOPS)}. How many ${item} does ${who} have now?`;
      case 1:
        return `A train leaves at ${int(random, 1, 11)}:${int(random, 10, 59)} travelling at ${a} km/h. A second train leaves ${c} minutes later at ${a + b} km/h. When does the second catch up? Show your reasoning step by step.`;
      case 2:
        return `${who} sells ${item} at ${pick(random, SHOPS)} for $${c} each. After selling ${a} of them and paying $${b} for the stall, what is the profit? Explain each step.`;
      default:
        return `If ${c} workers paint ${a} fences in ${b} days, how many days do ${c + int(random, 1, 6)} workers need for ${a * 2} fences? Give the answer as a fraction if needed.`;
    }
  },
  creative: (random) => {
    const form = pick(random, FORMS);
    const creature = pick(random, CREATURES);
    const place = pick(random, PLACES);
    const mood = pick(random, MOODS);
    switch (int(random, 0, 2)) {
      case 0:
        return `Write ${form} about ${creature} in ${place}. Make it ${mood}.`;
      case 1:
        return `Tell me ${form}, ${mood} in tone, where ${creature} discovers a secret in ${place}.`;
      default:
        return `Compose ${form} from the point of view of ${creature}, set in ${place}, ending on a ${mood} note.`;
    }
  },
  summary: (random) => {
    const sentences = Array.from({ length: int(random, 20, 50) }, () => `${pick(random, SENTENCE_PARTS.subject)} ${pick(random, SENTENCE_PARTS.verb)} ${pick(random, SENTENCE_PARTS.object)}.`);
    const text = sentences.join(' ');
    const topic = pick(random, TOPICS);
    switch (int(random, 0, 2)) {
      case 0:
        return `Summarize the following notes from ${topic} in ${int(random, 2, 5)} bullet points:\n\n${text}`;
      case 1:
        return `${text}\n\nGive me a TL;DR of the text above (it is about ${topic}), in one paragraph.`;
      default:
        return `Condense this document about ${topic} into a short executive summary:\n\n${text}`;
    }
  },
  sql: (random) => {
    const table = pick(random, TABLES);
    const col = pick(random, table.columns.split(', ').slice(1));
    const ask = pick(random, SQL_ASKS).replace('{n}', String(int(random, 3, 20))).replace('{col}', col);
    switch (int(random, 0, 2)) {
      case 0:
        return `Table ${table.name}(${table.columns}). Write a SQL query that returns ${ask}.`;
      case 1:
        return `In PostgreSQL, given ${table.name} with columns ${table.columns}, how do I get ${ask}? Use a window function if it helps.`;
      default:
        return `My query SELECT * FROM ${table.name} WHERE ${col} IS NOT NULL GROUP BY ${col} is slow and wrong. I want ${ask}. Fix it and explain the index it needs.`;
    }
  },
};

export function promptOf(family: Family, random: Random): string {
  return GENERATORS[family](random);
}
