// The fixed lists the seed draws from: channels (with their category, language, format and how
// often they upload), what their videos are about, how titles are phrased, and the small
// vocabularies of accounts, workers and failures. Channels are fictional; email and IP addresses
// use the ranges reserved for documentation (example.com, 192.0.2.0/24, ...), so no demo row can
// reach a real person or host.

/** How a channel talks, which decides how many speakers its transcripts label. */
export type ChannelFormat = 'solo' | 'lecture' | 'podcast' | 'interview' | 'panel'

export interface Channel {
  name: string
  handle: string
  category: string
  language: string
  format: ChannelFormat
  topics: TopicGroup
  /** Relative upload volume: a few channels publish most of the videos, as on YouTube. */
  weight: number
}

/** Speakers in a recording of each format (a range: a podcast has a guest or two). */
export const SPEAKERS: Record<ChannelFormat, readonly [number, number]> = {
  solo: [1, 1],
  lecture: [1, 2],
  podcast: [2, 3],
  interview: [2, 2],
  panel: [3, 5],
}

type TopicGroup = keyof typeof TOPICS

/** What videos are about; a title is a template filled with one of these. */
export const TOPICS = {
  science: ['quantum computing', 'black holes', 'CRISPR gene editing', 'fusion energy', 'the James Webb telescope', 'dark matter', 'mRNA vaccines', 'superconductors', 'the immune system', 'plate tectonics', 'exoplanets', 'sleep science', 'coral reefs', 'antibiotic resistance'],
  programming: ['Rust ownership', 'PostgreSQL indexes', 'Docker networking', 'TypeScript generics', 'git rebase', 'regular expressions', 'Kubernetes operators', 'WebAssembly', 'full-text search', 'Windows paths like C:\\Users', 'the "async" keyword', 'cache invalidation', 'B-trees', 'load testing'],
  history: ['the Roman Empire', 'the French Revolution', 'the Silk Road', 'the printing press', 'the Cold War', 'ancient Egypt', 'the Industrial Revolution', 'the Byzantine Empire', 'the Apollo program', 'the Ottoman Empire', 'the Hanseatic League'],
  math: ['linear algebra', 'probability', 'calculus', 'prime numbers', 'group theory', 'statistics', 'graph theory', 'the Fourier transform', 'Bayes theorem', 'infinity'],
  lifestyle: ['moving abroad', 'a morning routine', 'learning a language', 'quitting my job', 'a week without my phone', 'living in a van', 'minimalism', 'journaling'],
  economics: ['interest rates', 'the housing market', 'inflation', 'supply chains', 'remote work', 'energy prices', 'the chip shortage', 'minimum wage', 'index funds'],
  news: ['the election polls', 'the climate summit', 'the rail strike', 'public transit funding', 'the budget vote', 'the heat wave', 'the trade deal', 'the new AI rules'],
  diy: ['fixing a leaky faucet', 'painting a room', 'building a workbench', 'tiling a bathroom', 'rewiring a lamp', 'knife sharpening', 'patching drywall'],
  baking: ['sourdough bread', 'croissants', 'pizza dough', 'a birthday cake', 'bagels', 'focaccia', 'pie crust'],
  gaming: ['speedrunning', 'Minecraft redstone', 'open world RPGs', 'retro consoles', 'indie roguelikes', 'the history of Tetris', 'strategy games', 'game soundtracks'],
  film: ['practical effects', 'film noir', 'screenwriting', 'animation pipelines', 'movie soundtracks', 'color grading', 'sitcom history'],
  music: ['jazz harmony', 'the blues scale', 'music theory', 'home recording', 'synthesizers', 'drum grooves', 'film scoring', 'mixing vocals'],
  sports: ['the offside rule', 'basketball analytics', 'tennis footwork', 'the transfer window', 'the playoffs', 'cycling climbs', 'strength training'],
  running: ['marathon training', 'running shoes', 'interval workouts', 'trail running', 'recovery days', 'a first 5K'],
  travel: ['Japan by train', "Iceland's ring road", 'Lisbon', 'Patagonia', 'night markets', 'budget backpacking', 'the Alps', 'overnight trains'],
  comedy: ['office meetings', 'airport security', 'family group chats', 'self-checkout machines', 'online dating', 'assembling furniture'],
  autos: ['electric cars', 'engine rebuilds', 'EV charging', 'classic cars', 'tire pressure', 'hybrid engines'],
  pets: ['puppy training', 'octopus intelligence', 'backyard birds', 'cat behavior', 'adopting a rescue dog', 'aquarium care'],
  gardening: ['houseplants', 'composting', 'tomatoes', 'raised beds', 'pruning roses', 'a balcony garden'],
  startups: ['raising a seed round', 'hiring the first engineer', 'pricing', 'burnout', 'open source businesses', 'selling a company'],
  climate: ['heat pumps', 'carbon capture', 'sea level rise', 'wind power', 'climate models', 'rewilding'],
  nonprofit: ['food banks', 'volunteering', 'literacy programs', 'clean water projects', 'community gardens'],
  es: ['la energía solar', 'el sistema inmunológico', 'la inteligencia artificial', 'los agujeros negros', 'el cambio climático', 'la cocina mexicana', 'el fútbol moderno'],
  de: ['die Energiewende', 'Quantencomputer', 'das Immunsystem', 'künstliche Intelligenz', 'Elektroautos', 'die deutsche Geschichte', 'Brot backen'],
  fr: ["l'énergie nucléaire", 'la Révolution française', "l'intelligence artificielle", 'le système solaire', 'le Tour de France', 'la cuisine lyonnaise'],
  pt: ['a Amazônia', 'a energia eólica', 'o futebol brasileiro', 'a inteligência artificial', 'a história de Portugal', 'o sistema solar'],
  ja: ['量子コンピュータ', '日本の歴史', '人工知能', 'ラーメン作り', '宇宙の始まり', '電気自動車'],
} as const

function channel(name: string, handle: string, category: string, language: string, format: ChannelFormat, topics: TopicGroup, weight: number): Channel {
  return { name, handle, category, language, format, topics, weight }
}

/** About 83% of uploads are English, the rest Spanish, German, French, Portuguese and Japanese. */
export const CHANNELS: readonly Channel[] = [
  channel('Northwind Science', 'northwindscience', 'Science & Technology', 'en', 'solo', 'science', 5),
  channel('The Curious Engineer', 'curiousengineer', 'Science & Technology', 'en', 'solo', 'science', 4),
  channel('Deep Field Podcast', 'deepfieldpod', 'Science & Technology', 'en', 'podcast', 'science', 3),
  channel('Byte Sized Systems', 'bytesizedsystems', 'Science & Technology', 'en', 'solo', 'programming', 5),
  channel('Commit & Push', 'commitandpush', 'Science & Technology', 'en', 'podcast', 'programming', 3),
  channel('Open Lecture Hall', 'openlecturehall', 'Education', 'en', 'lecture', 'history', 6),
  channel('History Unboxed', 'historyunboxed', 'Education', 'en', 'solo', 'history', 4),
  channel('Math Without Tears', 'mathwithouttears', 'Education', 'en', 'lecture', 'math', 3),
  channel('The Long Conversation', 'thelongconversation', 'People & Blogs', 'en', 'interview', 'lifestyle', 4),
  channel('Slow Morning Vlogs', 'slowmorning', 'People & Blogs', 'en', 'solo', 'lifestyle', 2),
  channel('Kitchen Table Economics', 'kitchentableecon', 'News & Politics', 'en', 'podcast', 'economics', 3),
  channel('The Daily Brief', 'thedailybrief', 'News & Politics', 'en', 'panel', 'news', 4),
  channel('Weekend Fixer', 'weekendfixer', 'Howto & Style', 'en', 'solo', 'diy', 3),
  channel('Crumb & Crust', 'crumbandcrust', 'Howto & Style', 'en', 'solo', 'baking', 3),
  channel('Pixel Archive', 'pixelarchive', 'Gaming', 'en', 'solo', 'gaming', 3),
  channel('Respawn Radio', 'respawnradio', 'Gaming', 'en', 'podcast', 'gaming', 3),
  channel('Cutting Room', 'cuttingroom', 'Film & Animation', 'en', 'interview', 'film', 2),
  channel('Chord Theory', 'chordtheory', 'Music', 'en', 'solo', 'music', 3),
  channel('Bedroom Studio Sessions', 'bedroomstudio', 'Music', 'en', 'solo', 'music', 2),
  channel('Full Time Analysis', 'fulltimeanalysis', 'Sports', 'en', 'panel', 'sports', 3),
  channel('Long Run Club', 'longrunclub', 'Sports', 'en', 'solo', 'running', 2),
  channel('Far Trains', 'fartrains', 'Travel & Events', 'en', 'solo', 'travel', 2),
  channel('Carry-On Only', 'carryononly', 'Travel & Events', 'en', 'solo', 'travel', 2),
  channel('Open Mic Night', 'openmicnight', 'Comedy', 'en', 'panel', 'comedy', 2),
  channel('Torque Talk', 'torquetalk', 'Autos & Vehicles', 'en', 'podcast', 'autos', 2),
  channel('Paws & Claws', 'pawsandclaws', 'Pets & Animals', 'en', 'solo', 'pets', 2),
  channel('Green Thumb Diaries', 'greenthumbdiaries', 'Howto & Style', 'en', 'solo', 'gardening', 2),
  channel('Founders at Night', 'foundersatnight', 'People & Blogs', 'en', 'interview', 'startups', 3),
  channel('Climate Desk', 'climatedesk', 'News & Politics', 'en', 'solo', 'climate', 2),
  channel('Nonprofit Notes', 'nonprofitnotes', 'Nonprofits & Activism', 'en', 'interview', 'nonprofit', 1),
  channel('Ciencia en Casa', 'cienciaencasa', 'Science & Technology', 'es', 'solo', 'es', 3),
  channel('Charlas de Café', 'charlasdecafe', 'People & Blogs', 'es', 'podcast', 'es', 2),
  channel('Wissen Kompakt', 'wissenkompakt', 'Education', 'de', 'solo', 'de', 3),
  channel('Technik Talk', 'techniktalk', 'Science & Technology', 'de', 'podcast', 'de', 2),
  channel('Le Labo de Curiosité', 'labodecuriosite', 'Science & Technology', 'fr', 'solo', 'fr', 2),
  channel('Histoire en Bref', 'histoireenbref', 'Education', 'fr', 'solo', 'fr', 2),
  channel('Papo de Ciência', 'papodeciencia', 'Science & Technology', 'pt', 'podcast', 'pt', 2),
  channel('ゆっくり科学チャンネル', 'yukkurikagaku', 'Science & Technology', 'ja', 'solo', 'ja', 2),
]

/**
 * Title templates per language. {topic} is the topic as written, {Topic} capitalised, {n} a small
 * count, {ep} an episode number, {year} the upload year, {guest} a person's name.
 */
export const TITLE_TEMPLATES: Record<string, readonly string[]> = {
  en: [
    '{Topic}: how it actually works',
    '{Topic} explained in {n} minutes',
    'The hard parts of {topic}',
    'The surprising history of {topic}',
    '{Topic}: what nobody tells you',
    'I tried {topic} for {n} days',
    "A beginner's guide to {topic}",
    '{n} mistakes everyone makes with {topic}',
    'Live Q&A: {topic}',
    '{Topic} in {year}',
    'Everything you need to know about {topic}',
    '{Topic}: overrated or underrated?',
  ],
  es: ['Cómo funciona {topic}', '{Topic} explicado en {n} minutos', 'Todo sobre {topic}', 'Por qué {topic} importa', '{Topic} en {year}'],
  de: ['Wie {topic} funktioniert', '{Topic} einfach erklärt', 'Alles über {topic}', '{n} Fakten über {topic}', '{Topic} im Jahr {year}'],
  fr: ['Comment fonctionne {topic}', '{Topic} expliqué simplement', 'Tout savoir sur {topic}', 'Pourquoi {topic} ?', '{Topic} en {year}'],
  pt: ['Como funciona {topic}', '{Topic} em {n} minutos', 'Tudo sobre {topic}', 'Por que {topic} importa'],
  ja: ['{topic}の仕組み', '{n}分でわかる{topic}', '{topic}について話します', '{year}年の{topic}'],
}

/** Formats with a guest or a series get these on top of their language's templates. */
export const FORMAT_TEMPLATES: Partial<Record<ChannelFormat, Record<string, readonly string[]>>> = {
  podcast: {
    en: ['Episode {ep}: {Topic} with {guest}', '#{ep} {guest} on {topic}'],
    es: ['Episodio {ep}: {topic} con {guest}'],
    de: ['Folge {ep}: {Topic} mit {guest}'],
    pt: ['Episódio {ep}: {topic} com {guest}'],
  },
  interview: { en: ['{guest} on {topic}', 'In conversation with {guest}: {topic}'] },
  lecture: { en: ['Lecture {n}: {Topic}', '{Topic} (full lecture)'] },
  panel: { en: ['Roundtable: {topic}', 'This week: {topic}, and more'] },
}

export const FIRST_NAMES = [
  'Maria', 'James', 'Aisha', 'Wei', 'Sofia', 'Mateo', 'Priya', 'Liam', 'Yuki', 'Olivia', 'Noah', 'Fatima', 'Lucas', 'Amara', 'Elena', 'Kwame',
  'Hannah', 'Diego', 'Mei', 'Omar', 'Chloe', 'Ivan', 'Zara', 'Ethan', 'Leila', 'Tomás', 'Grace', 'Arjun', 'Nadia', 'Samuel', 'Ingrid', 'Kenji',
  'Lucia', 'Daniel', 'Chiara', 'Felix', 'Ana', 'Oscar', 'Ruth', 'Emeka',
]

export const LAST_NAMES = [
  'Garcia', 'Smith', 'Khan', 'Chen', 'Rossi', 'Silva', 'Patel', 'Murphy', 'Tanaka', 'Johnson', 'Müller', 'Okafor', 'Nguyen', 'Kowalski', 'Haddad', 'Larsen',
  'Brown', 'Fernández', 'Kim', 'Ali', 'Dubois', 'Petrov', 'Mensah', 'Walker', 'Cohen', 'Santos', 'Andersson', 'Sato', 'Novak', 'Baker', 'Romero', 'Singh',
  'Hughes', 'Moreau', 'Lindqvist', 'Yilmaz', 'Costa', 'Nakamura', 'Reyes', 'Osei',
]

export const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'] as const

export const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'transcript-cli/1.4.2 (+https://example.com/transcript-cli)',
] as const

/** Documentation address blocks (RFC 5737, RFC 3849): they route nowhere. */
export const IP_PREFIXES = ['192.0.2.', '198.51.100.', '203.0.113.', '2001:db8::'] as const

/** Whisper models, weighted roughly as a self-hosted fleet would run them. */
export const WHISPER_MODELS: readonly (readonly [string, number])[] = [
  ['large-v3', 60],
  ['large-v3-turbo', 25],
  ['medium', 10],
  ['small', 5],
]

/** What a failed job reports; {id} is the video's YouTube id. */
export const FAILURES = [
  'yt-dlp: ERROR: [youtube] {id}: Video unavailable. This video is private',
  'yt-dlp: ERROR: [youtube] {id}: Sign in to confirm your age. This video may be inappropriate for some users',
  'yt-dlp: ERROR: [youtube] {id}: HTTP Error 429: Too Many Requests',
  'ffmpeg exited with code 1: Invalid data found when processing input',
  'transcriber timed out after 900 s',
  'CUDA out of memory while loading model large-v3 (tried to allocate 2.00 GiB)',
] as const

export const EXPORT_FORMATS = ['srt', 'vtt', 'txt', 'json'] as const
