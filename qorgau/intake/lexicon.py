"""Qorgau's own lexicons for proposing events from a narrative: data, no code. Pure.

Each entry is a list of regular-expression stems (matched case-insensitively, at a word start)
per language. Stems cover inflected forms: Russian and Kazakh endings vary, so a stem stops
before the ending. A kind's patterns name the event itself; INSTITUTIONS name who acted.
"""

# ruff: noqa: E501  (patterns read better unbroken)
from __future__ import annotations

# kind -> language -> stems. Order matters only for the output: kinds are proposed in this order.
KINDS: dict[str, dict[str, list[str]]] = {
    "strangulation": {
        "en": [r"strangl", r"chok(?:ed|ing|es|e)\b", r"throttl", r"by the (?:throat|neck)",
               r"(?:hands|grip)\s+(?:a)?round (?:her|his) (?:throat|neck)", r"suffocat", r"smother",
               r"(?:squeez|press|grabb?)\w*\s+(?:\w+\s+){0,2}(?:throat|neck)"],
        "ru": [r"душил", r"придуш", r"удавк", r"задуш", r"удуш", r"за (?:горло|шею)", r"(?:сдавил|сжима|сжал|схватил)\w* (?:\w+ )?(?:горло|шею)"],
        "kk": [r"тұншықт", r"буындыр", r"(?:тамағын|мойнын) (?:қыс(?:ты|ып|қан|атын)|бу(?:ды|ған|ып))"],
    },
    "threat_to_kill": {
        "en": [r"(?:said|saying|told her|swore|wrote|writing|texted|messaged)\s+(?:\w+\s+){0,2}(?:that\s+)?he (?:would|will|'d|was going to) (?:\w+ (?:and|or) )?kill",
               r"threat\w*\s+(?:\S+\s+){0,5}(?:to kill|with (?:death|murder)|kill)(?! (?:himself|herself|myself)\b(?!\s*(?:and|or)\b))", r"murder threats?", r"(?:said|told her|swore) (?:that )?he would kill",
               r"death threat", r"threatened (?:her )?(?:life|to murder)"],
        "ru": [r"угрож\w*[\s,]+(?:\w+[\s,]+){0,3}(?:убий|убить(?! себя\b(?!\s*(?:и|или)\b))|убьёт|убьет|смерт|расправ|зарез|застрел)",
               r"угроз\w*\s+(?:\w+\s+){0,2}(?:убий|смерт|расправ)", r"обещал\w* убить",
               r"(?:при)?грозил\w*[\s,]+(?:\w+[\s,]+){0,2}(?:убить|убий|смерт|убь[её]т)", r"убью", r"(?:сказал|говорил|кричал|обещал|написал|писал|пригрозил)\w*[\s,]+(?:\w+[\s,]+){0,2}что (?:\w+\s+){0,3}убь[её]т"],
        "kk": [r"өлтіре(?:мін|ді|тінін|ті)\w*", r"өлтіремін деп", r"өлтіру(?:мен| туралы)? қорқыт",
               r"өліммен қорқыт"],
    },
    "threat_children": {
        "en": [r"threat\w*\s+(?:(?!in\b|before\b|front\b|presence\b|at\b)\S+\s+){0,4}(?:son|sons|daughters?|child|children|kids)\b",
               r"threat\w* to (?:take|kidnap|snatch) (?:away )?(?:the |her |their )?(?:child|children|son|daughter|kids)"],
        "ru": [r"угрож\w*\s+(?:\w+\s+){0,3}(?:детям|ребенку|ребёнку|сыну|дочери)",
               r"(?:угрож|грозил)\w*\s+(?:\w+\s+)?(?:забрать|отобрать|украсть|увезти) (?:\w+\s+)?(?:дет|ребен|ребён|сын|доч)"],
        "kk": [r"балалар\w*\s+(?:\w+\s+)?(?:өлтіремін|алып кетемін|тартып аламын)"],
    },
    "weapon": {
        "en": [r"knife", r"knives", r"gun\b", r"rifle", r"pistol", r"firearm", r"sho(?:t|ots) (?:her|him|them|the)",
               r"shotgun", r"shot dead", r"handgun", r"axe\b", r"stabb", r"stabs\b", r"stab (?:her|him|me)\b", r"hammer", r"weapon"],
        "ru": [r"нож", r"ружь", r"пистолет", r"оружи", r"топор", r"молот", r"застрел",
               r"зарезал", r"выстрел", r"ножев"],
        "kk": [r"пышақ", r"мылтық", r"қару", r"балта", r"атып"],
    },
    "attempted_killing": {
        "en": [r"attempted (?:murder|to kill)", r"tried to kill", r"attempt on her life",
               r"survived (?:the |his )?(?:attack|assault|stabbing|shooting)"],
        "ru": [r"покушени\w* на (?:убийство|жизнь)", r"пытал\w* (?:её |ее )?убить", r"выжил\w* (?:после )?(?:нападени|ранени|поножовщин)"],
        "kk": [r"өлтірмек бол", r"өлтіруге оқталды", r"өлтіруге әрекет"],
    },
    "killing": {
        "en": [r"killed\b", r"murdered", r"shot (?:\w+ ){0,3}dead", r"shot dead",
               r"stabbed (?:her|him) to death", r"stabbed (?:\w+ ){0,3}\w+,? who (?:later )?died"],
        "ru": [r"убил\b", r"убила\b", r"убиты?\b", r"был\w* убит", r"застрелил", r"зарезал", r"погиб\w* от (?:\w+\s+){0,2}(?:ножев|ранени|рук|побо)", r"до смерти избил"],
        "kk": [r"өлтір(?:ді|ген|іп)", r"өлтіріл(?:ді|ген)", r"қаза тапты"],
    },
    "sexual_violence": {
        "en": [r"rape", r"raped", r"sexual(?:ly)? (?:assault|abus|violence)", r"abused (?:her|him|them) sexually",
               r"(?:make|made|force[ds]?|forcing|coerc\w*)\s+her\s+(?:to\s+)?(?:have sex|have sexual|perform sexual|sleep with)"],
        "ru": [r"изнасил", r"сексуальн\w* насили", r"принужда\w* (?:\w+\s+)?к (?:сексу|интимн|половой|сексуальн)", r"половое насили", r"сексуальн\w* (?:надругал|домогательств)"],
        "kk": [r"зорла(?:ды|ған|п|у)", r"жыныстық зорлық"],
    },
    "physical_assault": {
        "en": [r"beat(?:en|ings?|s)?\b", r"batter(?:ed|ing)\b", r"physical and psychological (?:abuse|violence)", r"hit(?:s|ting)? (?:her|him|the)", r"punch", r"kick(?!ed (?:her|them|the \w+) out)", r"slap", r"assault",
               r"attack", r"injur", r"bruis", r"battery", r"physical(?:ly)? (?:abus|violence|ill-treat)",
               r"ill-treat", r"violen(?:ce|t)", r"bodily harm", r"(?:verbally|psychologically) and physically",
               r"physically and (?:verbally|psychologically)", r"verbal and physical (?:abuse|violence)",
               r"push(?:es|ed|ing)? (?:her|the applicant)\b", r"shov(?:ed|ing)", r"(?:pulled|dragged|grabbed) (?:her|the applicant) by the hair",
               r"(?:pulled|dragged) (?:her|the applicant) (?:across|along|out|down)"],
        "ru": [r"изби", r"бил\b", r"била\b", r"бить", r"побо", r"ударил", r"удар", r"пинал", r"(?:от)?толк(?:нул|ал)", r"(?:таскал|тащил|схватил)\w* (?:\w+\s+)?за волосы", r"подн(?:ял|има)\w* (?:на (?:неё|нее|жену|меня|мать) )?руку",
               r"напал", r"избиени", r"телесн\w* повреждени", r"травм", r"синяк", r"насили",
               r"жесток\w* обращ", r"насилие", r"истяза", r"отруби", r"искалечи", r"перелом"],
        "kk": [r"ұрып", r"ұрды", r"шабуыл", r"соқты", r"тепкіле", r"зорлық-зомбылық", r"зорлық", r"жарақат",
               r"дене жарақат", r"көгерг", r"ұра\b", r"ұра бастад",
               r"ұр(?:са|ған|атын|ады|ыпты)\b", r"тепті", r"итеріп жіберді", r"шашынан (?:сүйреді|тартты|ұстап)", r"саба(?:д|п|ған|йтын)", r"соққыға жық", r"қол көтер",
               r"(?:қабырға|мұрн|жағ|қол|аяғ|бұғана)\w*\s+(?:да\s+)?сын(?:ған|ды|ық)"],
    },
    "psychological_abuse": {
        "en": [r"insult", r"humiliat", r"psycholog\w* (?:abuse|violence|pressure)", r"verbal(?:ly)? abus", r"calling her names", r"abused (?:her|the applicant),? verbally", r"verbally and physically", r"verbal(?:ly)?,? (?:and|or) physical", r"physical(?:ly)? and verbal",
               r"threaten\w*\s+(?:her|him|them|the applicant)\b", r"(?:nude|intimate|naked|sexual) (?:photo|picture|image|video)\w*\s+(?:\w+\s+){0,3}(?:posted|published|shared|sent|distributed|spread)",
               r"(?:posted|published|shared|distributed|spread)\s+(?:\w+\s+){0,3}(?:nude|intimate|naked) (?:photo|picture|image|video)",
               r"(?:hijack|hack)\w*\s+(?:\w+\s+){0,3}account", r"account\w*\s+(?:\S+\s+){0,8}(?:had been |was |were )?(?:hijacked|hacked)", r"threatening her with violence", r"intimidat",
               r"threatening (?:messages|texts|calls|letters|e-?mails)"],
        "ru": [r"оскорб(?:л|ил)", r"униж", r"психологическ\w* (?:насили|давлени)", r"запугива",
               r"угрож\w*\s+(?:\w+\s+)?(?:избиени|расправ|насили|физическ)", r"обзывал", r"(?:сообщени|смс|звонк|письм)\w* с угрозами", r"агрессив\w* (?:к|по отношению к) (?:ней|жене|ним|детям|дочери|сыну|своей)",
               r"распространя?л\w*\s+(?:\w+\s+){0,3}(?:интимн|персональн|личн)\w* (?:данн|фото|снимк|видео|информац)"],
        "kk": [r"қорла(?:ды|ған|п|йтын)", r"балағатта", r"психологиялық зорлық", r"жәбір көр", r"қорқыт(?:ты|қан|ып|атын)",
               r"боқта(?:ды|ған|п|йтын)"],
    },
    "coercive_control": {
        "en": [r"locked (?:her|them) in\b", r"(?:break\w*|broke) into (?:her|the applicant's) (?:\w+ )?(?:mailbox|e-?mail|phone|account)", r"took (?:away )?her (?:phone|passport|documents)",
               r"forbade her", r"not allowed to leave", r"(?:monitored|checked|went through) her (?:phone|messages|e-?mails?)", r"forced her to (?:come|return|stay|go)",
               r"threatened to have her (?:deported|locked up)", r"coercive control", r"controlled (?:her|all|every)"],
        "ru": [r"запер", r"контролировал", r"проверял\w* (?:\w+\s+)?(?:телефон|переписк|сообщени)", r"взлом\w*\s+(?:\w+\s+){0,2}(?:почт|аккаунт|страниц|телефон)", r"отобрал\w* (?:телефон|паспорт|документ)", r"запрещал\w*", r"не выпускал", r"заставлял\w* (?:её |ее )?(?!к )\w+"],
        "kk": [r"қамап", r"бақыла(?:ды|п|ған|йтын)", r"телефонын тексер", r"күштеп (?!неке|тұрмыс|үйлен|зорла)", r"телефонын тартып", r"құжаттарын тартып", r"тыйым салды"],
    },
    "stalking": {
        "en": [r"stalk", r"follow(?:ed|ing) her", r"harass", r"tracked (?:her|him) down"],
        "ru": [r"преследова", r"следил", r"преследует", r"продолжал\w* искать", r"разыскивал"],
        "kk": [r"аңды(?:ды|ған|п)", r"соңынан қалма", r"қудала"],
    },
    "property_damage": {
        "en": [r"(?:broke|smashed|damaged|destroyed|wrecked|slashed|set fire to|burn(?:ed|t) down)\s+(?!into\b|in\b)(?:\w+\s+){0,2}(?:doors?|windows?|car|phone|furniture|tyres|tires|property|belongings|flat|house|home)\b",
               r"(?:door|window)s? (?:had been |was |were )?(?:broken|smashed|kicked in|damaged)"],
        "ru": [r"(?:сломал|разбил|выбил|повредил|испортил|порезал|поджёг|поджег|уничтожил|разгромил|крушил)\w*\s+(?:\w+\s+){0,2}(?:двер|окн|стекл|машин|автомобил|телефон|мебел|шин|имуществ|вещ|посуд|квартир)",
               r"устроил\w* (?:\w+\s+)?(?:дебош|погром)"],
        "kk": [r"(?:есік|терезе|көлік|телефон|мүлк|мүлік|жиһаз)\w*\s+(?:\w+\s+)?(?:сындыр|қират|бүлдір|өртеп|өртеді)"],
    },
    "burn_scald": {
        "en": [r"boiling water", r"scald", r"burn(?:ed|t) her"],
        "ru": [r"кипят", r"ожог", r"обж[её]г"],
        "kk": [r"қайнаған су", r"күйдір"],
    },
    "expulsion": {
        "en": [r"(?:threw|kicked|turned) her out", r"expelled (?:her )?from the (?:home|house|flat)", r"locked her out"],
        "ru": [r"выгнал", r"не пуска\w* (?:её |ее )?(?:домой|в дом|в квартиру)"],
        "kk": [r"үйден қуып", r"үйге кіргізбе"],
    },
    "police_report": {
        "en": [r"(?:reported|report)\w*\s+(?:\w+\s+){0,6}(?:to the )?police", r"complain\w* to the police",
               r"call(?:ed)? (?:an? \w+ and )?the police", r"(?:tele)?phoned (?:\w+ ){0,2}police", r"asked (?:\w+ ){0,4}police for (?:protection|help)",
               r"started criminal proceedings against", r"rang (?:\w+ ){0,2}police", r"lodged (?:a )?(?:criminal )?complaints?(?! with the (?:\w+ )?prosecutor)", r"filed (?:a )?(?:criminal )?complaints?(?! with the (?:\w+ )?prosecutor)",
               r"police (?:were|was) called", r"called the police and related", r"contacted the (?:police|authorities)", r"(?:tell|told|inform\w*) the authorities", r"complained to the (?:\w+ ){0,2}police", r"lodged (?:a )?formal complaint",
               r"went to the (?:local )?police", r"told the police", r"(?:called|rang|dialled|phoned) (?:112|911|999|102)\b", r"(?:made|gave) (?:a )?statements? to the police", r"filed a police report"],
        "ru": [r"(?:обратил|обращал|пожаловал|жаловал|сообщ(?:ил|ал))\w*\s+(?:\w+\s+){0,3}(?:в )?(?:полици|милици|ОВД|УВД|РОВД)", r"заявлени\w*\s+(?:\w+\s+){0,4}(?:в )?(?:полици|милици|ОВД)",
               r"вызвал\w* полици", r"вызывал\w* полици", r"полици\w*\s+(?:\w+\s+){0,3}вызывал", r"заявил\w* в полици", r"(?:подал|написал)\w* заявлени[а-я]*(?![а-я])(?! о разводе| на развод| о расторжении| в суд)", r"сообщил\w* о случившемся участковому", r"в полицию (?:она |он )?обратил", r"подал\w* соответствующее заявлени", r"(?:позвонил|звонил)\w* (?:\w+\s+)?(?:в|по номеру) (?:102|112)", r"(?:пошл|ходил|пришл|явил)\w* (?:\w+\s+)?в (?:полици|отделение полиции|ОВД|РОВД|УВД|милици)", r"вызвал\w* наряд", r"сообщал\w* (?:\w+\s+){0,2}об? (?:\w+\s+){0,2}(?:насили|побо|избиени|угроз)"],
        "kk": [r"полицияға (?:арыз|хабарла|жүгін|шағым|барды|бардым|барып)", r"арыз (?:бер|жаз|түсір)(?:ді|ды|ген|ған|іп|ып)\b", r"полиция шақыр",
               r"(?:102|112)-ге (?:қоңырау|хабарла)", r"учаскелік\w* (?:\w+\s+)?(?:хабарла|арыз|шағым|жүгін)"],
    },
    "police_refusal": {
        "en": [r"police (?:\w+ ){0,3}(?:refused|declined|did not\b|failed to)",
               r"refused to (?:register|accept|open|act)", r"(?:officers?|police) (?:\w+ ){0,2}told her to (?:go home|reconcile)",
               r"no action was taken", r"(?:said|told (?:her|me)) (?:that )?it was (?:just )?a (?:family|private|domestic) (?:matter|affair|dispute)"],
        "ru": [r"(?:полици|участков|милици)\w*\s+(?:\w+\s+){0,3}(?:отказ(?:ал|ыва)|не прин(?:ял|има)|не стал|бездейств)",
               r"отказал\w* (?:в )?(?:принят|регистрац)", r"отказа\w* в возбуждении", r"бездейств", r"(?:это|вы) (?:\w+\s+)?(?:семейн|бытов)\w* (?:дело|дела|ссор|конфликт|разборк)", r"отказ\w* (?:\w+\s+){0,2}(?:власт|полици|государств)\w* (?:\w+\s+)?защит"],
        "kk": [r"полиция\w*\s+(?:\w+\s+){0,3}(?:бас тарт|қабылдама)", r"тіркеуден бас тарт", r"отбасылық (?:іс|мәселе|жағдай)",
               r"әрекетсіздік"],
    },
    "case_refused": {
        "en": [r"refus\w* to (?:open|institute|bring|start) (?:a |an )?(?:criminal )?(?:proceedings|case|investigation)",
               r"declined to prosecute", r"no criminal case", r"decision not to (?:investigate|prosecute|institute)", r"investigation was never opened", r"request for (?:the |a )?criminal investigation was (?:dismissed|refused|rejected)", r"declined to institute criminal proceedings"],
        "ru": [r"отказ\w* в возбуждении уголовного дела", r"отказ(?:ал|ыва)\w* в возбуждении", r"дело возбуждать не стал",
               r"в возбуждении (?:уголовного )?дела (?:ей |им )?(?:было )?отказ"],
        "kk": [r"қылмыстық іс қозғаудан бас тарт"],
    },
    "case_opened": {
        "en": [r"(?:opened|instituted|brought) (?:a )?criminal (?:proceedings|case|investigation)",
               r"criminal (?:proceedings|investigation) (?:was|were) (?:opened|instituted)",
               r"investigation was (?:opened|started)", r"opened an investigation"],
        "ru": [r"возбудил\w* уголовное дело", r"(?:начато|начал\w*|возбужден\w*)\s+(?:\w+\s+){0,1}расследовани", r"возбуждено уголовное дело", r"уголовное дело (?:было )?возбужд"],
        "kk": [r"қылмыстық іс қозғал", r"қылмыстық іс қозғады", r"тергеп-тексеру (?:\w+\s+)?басталды"],
    },
    "authority_no_response": {
        "en": [r"remained unresolved", r"no (?:concrete |protective |further )?(?:measure|step)s? (?:was|were) taken",
               r"took no (?:investigative |protective )?(?:step|action|measure)",
               r"(?:police|officers?|authorities|they|prosecutors?|investigators?|nobody)\s+(?:\w+\s+){0,2}did nothing"],
        "ru": [r"не принял\w* (?:никаких )?мер", r"никаких мер не", r"ничего не предпринял", r"(?:полици|участков|власт|милици|они|там|следовател|прокурор|никто)[^.!?]{0,40}?ничего не сдела"],
        "kk": [r"ешқандай (?:\w+ ){0,2}әрекет\w* жасамады", r"шара қолданбады", r"(?:полиция|полицейлер|учаскелік|олар|ешкім)[^.!?]{0,40}?ештеңе (?:істемеді|жасамады)"],
    },
    "case_discontinued": {
        "en": [r"discontinu", r"(?<!called for )(?<!requiring )(?<!required )no further action", r"refused to pursue", r"(?:proceedings|investigation|inquiry|case) (?:was|were) (?:closed|terminated|dropped)",
               r"(?:closed|dropped|terminated) the (?:criminal )?(?:case|investigation|inquiry|proceedings|charges)"],
        "ru": [r"прекра(?:щ|т)\w*\s+(?:\w+\s+){0,2}(?:дело|производств|расследовани)", r"закрыл\w* дело", r"дело (?:было )?прекращ"],
        "kk": [r"іс тоқтатыл", r"тоқтатылды"],
    },
    "complaint_withdrawn": {
        "en": [r"withdr[ae]w (?:her |the )?complaint", r"withdrew", r"withdr\w* (?:her |the )?criminal complaint", r"withdrawn (?:her |the )?complaint"],
        "ru": [r"забрал\w* заявлени", r"отозвал\w* заявлени", r"забрать (?:свое |своё )?заявлени"],
        "kk": [r"арызын кері ал", r"арызын қайтар"],
    },
    "report_prosecutor": {
        "en": [r"(?:complain|appeal|appli|wrote|report|asked)\w*\s+(?:\w+\s+){0,4}(?:to )?the (?:\w+ )?prosecutor"],
        "ru": [r"(?:обратил|обращал|пожаловал|жаловал|жалоб|заявлени|написал|писал)\w*\s+(?:\w+\s+){0,4}(?:в )?прокуратур",
               r"(?:подал|направил|сообщил)\w*\s+(?:\w+\s+){0,2}прокурор"],
        "kk": [r"прокуратураға (?:арыз|шағым|жүгін)"],
    },
    "prosecutor_response": {
        "en": [r"prosecutor\w*\s+(?:\w+\s+){0,3}(?:replied|responded|answered|dismissed|upheld|quashed)"],
        "ru": [r"прокурор\w*\s+(?:\w+\s+){0,3}(?:ответил|отменил|отклонил|оставил)"],
        "kk": [r"прокуратура\w*\s+(?:\w+\s+){0,3}(?:жауап берді|жойды)"],
    },
    "detention_refused": {
        "en": [r"prosecutor\w*\s+refused(?! to pursue)", r"refused (?:to )?(?:detain|arrest)", r"detention (?:was )?refused",
               r"(?:allowed|let) him (?:to )?go home"],
        "ru": [r"отказ(?:ал|ыва)\w* в (?:аресте|задержании|заключении под стражу)", r"отпустил\w* (?:его )?домой"],
        "kk": [r"қамауға алудан бас тарт"],
    },
    "order_issued": {
        "en": [r"(?:protection|protective|restraining|barring) order\w*\s+(?:\w+\s+){0,4}(?:was |were )?(?:issued|granted|imposed|made)",
               r"(?:issued|granted|imposed) (?:a |an |the )?(?:\w+ )?(?:protection|protective|restraining|barring) order",
               r"(?:barring|exclusion|expulsion) (?:and barring )?order",
               r"court ordered (?:\S+\s+){0,2}(?:to leave|out of|to keep away|not to contact|to stay away)",
               r"protection measures (?:were|was) (?:granted|ordered|imposed)",
               r"(?:protection|protective|restraining|barring) order\w*,? (?:which|that) the (?:\w+ )?court (?:granted|issued)",
               r"court (?:\w+ ){0,2}(?:granted|issued|gave) (?:her |him |me )?(?:a |an |the )?(?:\w+ )?(?:protection|protective|restraining|barring) order"],
        "ru": [r"(?:вынес|вынос|выдал|выдава|установил|устанавлива|наложил|наклады|вынесено|выдано)\w*\s+(?:\w+\s+){0,3}(?:защитн|охранн|запретительн)\w* (?:предписани|ордер)",
               r"(?:защитн|охранн|запретительн)\w* (?:предписани|ордер)\w*\s+(?:\w+\s+){0,3}(?:вынес|выдан|установ)",
               r"особые требования к поведению", r"(?:назначил|применил|вынес)\w*\s+(?:\w+\s+){0,1}мер\w* защиты", r"обязал\w* (?:его )?(?:покинуть|не приближ)",
               r"получил\w*\s+(?:\w+\s+){0,4}(?:защитн|охранн)\w* (?:предписани|ордер)"],
        "kk": [r"қорғау нұсқама\w*", r"жақындамауға", r"қорғау нұсқамасы (?:шығарылды|берілді)", r"мінез-құлыққа ерекше талаптар"],
    },
    "order_requested": {
        "en": [r"(?:applied|asked|requested|sought)\w*\s+(?:\w+\s+){0,6}(?:injunction|(?:protection|protective|restraining) (?:order|measures))",
               r"(?:applied|asked|petitioned)\w*\s+(?:\S+\s+){0,8}?for (?:an? |the )?(?:\w+ )?(?:injunction|(?:protection|protective|restraining|barring) (?:order|measures))"],
        "ru": [r"(?:(?:по)?прос(?:ил|и)|ходатайств)\w*\s+(?:\w+\s+){0,4}(?:защитн|охранн)\w* (?:предписани|ордер)",
               r"обра(?:тил|щал)\w*\s+(?:\w+\s+){0,3}за (?:охранн|защитн)\w* (?:ордер|предписани)",
               r"(?:(?:по)?прос(?:ил|и)|ходатайств)\w*\s+(?:\w+\s+){0,2}мер\w* защиты", r"(?:по)?просил\w*\s+(?:\w+\s+){0,2}о применении (?:\w+\s+){0,2}мер"],
        "kk": [r"қорғау нұсқамасын сұра"],
    },
    "order_breached": {
        "en": [r"breach\w*\s+(?:\w+\s+){0,3}order", r"(?:breached|violated) (?:it|them)\b", r"violat\w*\s+(?:\w+\s+){0,3}order", r"in breach of",
               r"despite the (?:protection |protective |restraining )?order",
               r"(?:did not|failed to) (?:comply|obey)\w* (?:with )?(?:the )?(?:protection )?order", r"disobe"],
        "ru": [r"наруш(?:ил|ал)\w*\s+(?:\w+\s+){0,3}(?:предписани|запрет|ордер|требовани)", r"нарушени\w* (?:защитн|охранн)",
               r"несмотря на (?:защитн|охранн)"],
        "kk": [r"нұсқама\w* бұз", r"талаптарды бұз"],
    },
    "admin_protocol": {
        "en": [r"administrative offence (?:report|protocol) was (?:drawn up|issued)", r"drew up an administrative (?:offence )?(?:report|protocol)"],
        "ru": [r"(?:составил|составлен)\w* (?:\w+\s+){0,2}(?:административн\w* )?протокол", r"протокол\w* об административном"],
        "kk": [r"(?:әкімшілік )?хаттама (?:толтыр|жаса)(?!\w*(?:мады|меді|маған|меген|малы))"],
    },
    "order_extended": {
        "en": [r"(?:order|measures?) (?:was |were )?(?:extended|renewed|prolonged)", r"(?:extended|renewed|prolonged) the (?:\w+ )?(?:order|measures)"],
        "ru": [r"продл(?:ил|ен|ён|ено|ева)\w*\s+(?:\w+\s+){0,2}(?:предписани|ордер|мер)", r"(?:предписани|ордер)\w* (?:был\w* )?продл[её]н"],
        "kk": [r"нұсқама\w* (?:\w+\s+)?ұзартыл"],
    },
    "order_expired": {
        "en": [r"order (?:had )?expired", r"(?:order|measures) (?:ran|had run) out"],
        "ru": [r"срок\w* (?:\w+\s+){0,2}(?:предписани|ордер)\w* (?:\w+\s+)?ист[её]к", r"(?:предписани|ордер)\w* (?:\w+\s+)?ист[её]к"],
        "kk": [r"нұсқама\w* (?:\w+\s+)?мерзімі (?:өтті|аяқталды|бітті)"],
    },
    "order_served": {
        "en": [r"served on (?:him|the respondent)"],
        "ru": [r"вручен\w* (?:ему|ответчику)"],
        "kk": [r"оған табысталды"],
    },
    "breach_response": {
        "en": [r"never punished", r"(?:was|were) not (?:enforced|carried out)", r"nobody (?:removed|enforced)"],
        "ru": [r"не исполнял", r"не было исполнено", r"никто не (?:выселил|исполнил)"],
        "kk": [r"орындалмады"],
    },
    "arrest": {
        "en": [r"arrested", r"taken into (?:police )?custody", r"detained"],
        "ru": [r"задержа", r"арестова"],
        "kk": [r"ұстады", r"ұстал(?:ды|ған)", r"қамауға алын"],
    },
    "detention_ordered": {
        "en": [r"remanded in custody", r"placed in (?:pre-trial )?detention", r"pre-trial detention"],
        "ru": [r"заключени\w* под страж", r"арестован\w* на (?:\d+|\w+) ", r"мер\w* пресечения", r"санкционировал\w* (?:\w+\s+)?арест"],
        "kk": [r"күзетпен ұстау", r"қамауға алуға санкция"],
    },
    "jury_dismissed": {
        "en": [r"jury (?:was )?dismissed", r"dismissed the jury", r"mistrial"],
        "ru": [r"роспуск\w* коллегии", r"коллеги\w* присяжных (?:была )?распущ"],
        "kk": [r"алқабилер\w* (?:соты )?таратылды"],
    },
    "indictment": {
        "en": [r"sent (?:\w+ ){0,2}for trial", r"indicted", r"charged with", r"accused of"],
        "ru": [r"направил\w* (?:дело )?в суд", r"предъявил\w* обвинени", r"обвинительн\w* заключени", r"обвиня\w* в (?:убийств|причинени|истязани)"],
        "kk": [r"айып тағыл", r"айыптау актісі"],
    },
    "court_decision": {
        "en": [r"court (?:\w+ ){0,2}(?:granted|pronounced|ruled)", r"divorce was (?:granted|pronounced)"],
        "ru": [r"суд\w*\s+(?:\w+\s+){0,2}(?:вынес|принял)\w* решени", r"решени\w* суда"],
        "kk": [r"сот шешім"],
    },
    "hearing": {
        "en": [r"hearing", r"trial (?:began|started|opened)", r"court (?:heard|sat)"],
        "ru": [r"судебн\w* заседани", r"слушани", r"суд (?:начал|рассмотрел)", r"рассматрива\w* дело", r"на скамье подсудимых"],
        "kk": [r"сот отырысы", r"сот отырыс"],
    },
    "verdict": {
        "en": [r"convicted", r"acquitted", r"found (?:him|her) guilty", r"verdict"],
        "ru": [r"(?<!после )приговор", r"осужд", r"оправда", r"признал\w*\s+(?:\w+\s+){0,2}виновн", r"вина\s+(?:\w+\s+){0,2}(?:полностью )?доказана"],
        "kk": [r"үкім", r"кінәлі деп таны", r"ақтады", r"сотта(?:лды|лған)"],
    },
    "sentence": {
        "en": [r"sentenced"],
        "ru": [r"приговорил", r"приговорен", r"приговорён", r"осужд[её]н\w* на \d+", r"(?:год|года|лет) условно", r"условн\w* срок", r"(?:\d+|\w+) (?:лет|года?|годам) (?:\w+\s+){0,1}(?:колони|лишения свободы|лишени\w+ свободы|тюрьм)"],
        "kk": [r"жаза тағайындал", r"айыппұл", r"бас бостандығынан айыр"],
    },
    "admin_sanction": {
        "en": [r"administrative (?:fine|penalty|sanction|offence)", r"administrative arrest", r"fined",
               r"(?:a )?fine of", r"(?:pay|paid) a fine"],
        "ru": [r"административн\w* (?:штраф|арест|ответственност|наказани|правонарушени)", r"оштрафова", r"штраф",
               r"(?:получил|назначен|назначил)\w*\s+(?:\w+\s+){0,3}общественн\w* работ"],
        "kk": [r"әкімшілік (?:айыппұл|қамаққа|жауапкершілік)"],
    },
    "appeal": {
        "en": [r"appealed", r"on appeal", r"court of appeal", r"appeal court", r"upheld"],
        "ru": [r"апелляци", r"обжаловал", r"кассаци", r"оставил\w*\s+(?:\w+\s+){0,3}в силе"],
        "kk": [r"апелляция", r"күшінде қалдырды"],
    },
    "court_application": {
        "en": [r"(?:applied|petitioned|brought (?:an )?(?:action|proceedings)) (?:\w+ ){0,3}(?:to )?(?:the )?court",
               r"filed (?:for|a petition)", r"petitioned", r"sued",
               r"(?:started|began|brought|initiated) (?:\w+ ){0,2}(?:divorce|civil) proceedings", r"private prosecution"],
        "ru": [r"обра(?:тил|щал)\w*\s+(?:\w+\s+){0,2}в (?:\w+\s+)?суд", r"частн\w* обвинени", r"подал\w*\s+(?:\w+\s+){0,2}(?:иск|в суд)", r"исков\w* заявлени", r"подал\w* на развод", r"заявлени\w* (?:о разводе|о расторжении брака|на развод)"],
        "kk": [r"сотқа (?:жүгінді|арыз|шағым)", r"талап арыз", r"ажырасуға арыз"],
    },
    "medical_exam": {
        "en": [r"hospital", r"doctor", r"medical (?:certificate|examination|report|record|treatment)",
               r"forensic (?:medical )?(?:examination|report|expert)", r"ambulance", r"trauma (?:centre|specialist|unit)",
               r"treated for", r"medical assessment", r"diagnosed"],
        "ru": [r"больниц", r"врач", r"госпитализ", r"медицинск\w* (?:освидетельствовани|справк|заключени|экспертиз|помощ)",
               r"судебно-медицинск", r"судебн\w* медицин", r"скор\w* помощ", r"травмпункт", r"освидетельствовани",
               r"(?:её |ее )?лечили", r"проходил\w* лечение", r"заключени\w* о (?:\w+\s+)?(?:травмах|побоях|повреждениях)"],
        "kk": [r"аурухана", r"дәрігер", r"медициналық (?:куәландыру|анықтама|сараптама|көмек)", r"жедел жәрдем",
               r"сот-медициналық", r"травмпункт", r"емдел(?:ді|ген)"],
    },
    "shelter_admission": {
        "en": [r"(?:went|moved|fled|stayed|admitted) (?:\w+ ){0,2}(?:to |at |in )?(?:a |the )?(?:shelter|crisis cent)",
               r"(?:took|found) refuge", r"provided with accommodation by"],
        "ru": [r"(?:поселил|поместил|жил|жив|проживал|переехал|укрыл|бежал|ушл)\w*\s+(?:\w+\s+){0,2}(?:в )?(?:приют|кризисн\w* центр|шелтер)"],
        "kk": [r"дағдарыс орталығ", r"баспана", r"бейімдеу орталығ"],
    },
    "separation": {
        "en": [r"divorce", r"separated", r"(?:their|her|the couple's) separation", r"\bhe moved out", r"marriage was dissolved", r"left (?:him|her husband|the family home)", r"decided to leave", r"left the (?:house|matrimonial home|family home)"],
        "ru": [r"развод", r"развел", r"развёл", r"ушла от", r"брак\w* (?:был )?расторгн", r"оставил\w* мужа", r"развест", r"отдельн\w* прожива", r"(?:стали|начали) жить (?:раздельно|отдельно)", r"расстал"],
        "kk": [r"ажырас", r"неке бұзылды", r"үйден шығып кет"],
    },
    "evidence_not_collected": {
        "en": [r"(?:medical|forensic) (?:assessment|examination|report) (?:had |has )?not been (?:carried out|conducted|ordered|obtained)",
               r"witnesses (?:had |have |were )?(?:not|never) (?:been )?(?:identified|questioned|interviewed)",
               r"(?:failed|did not|never) (?:to )?(?:question|interview|identify) (?:the |any )?(?:witnesses|neighbours)",
               r"no (?:forensic|medical) (?:examination|assessment) was (?:ordered|carried out)"],
        "ru": [r"(?:свидетел|очевидц|сосед)\w* (?:так и )?не (?:был\w* )?(?:опро[шс]|допро[шс]|установл)",
               r"не (?:опроси|допроси)\w* (?:\w+\s+)?(?:свидетел|сосед|очевидц)",
               r"экспертиз\w* (?:так и )?не (?:был\w* )?(?:назначен|проведен|проведён)"],
        "kk": [r"куәгерлер\w* (?:\w+\s+)?(?:жауап алынбады|сұралмады|анықталмады)", r"сараптама тағайындалмады"],
    },
    "evidence_destroyed": {
        "en": [r"(?:destroy|delet|eras|wip)\w*\s+(?:\w+\s+){0,3}(?:evidence|recordings?|footage|video|messages|camera)",
               r"(?:evidence|recordings?|footage|video) (?:\w+\s+){0,2}(?:was|were|had been) (?:lost|destroyed|deleted|erased)"],
        "ru": [r"(?:уничтож|удал|стер|стёр|потерял|утерял)\w*\s+(?:\w+\s+){0,2}(?:запис|видео|улик|доказательств|сообщени)",
               r"(?:запис|видео|улик|доказательств)\w*\s+(?:\w+\s+){0,2}(?:был\w* )?(?:уничтожен|удален|удалён|утрачен|утерян)"],
        "kk": [r"(?:жазба|видео|дәлел)\w*\s+(?:\w+\s+)?(?:жой|өшір)"],
    },
    "legal_aid": {
        "en": [r"legal (?:aid|assistance)", r"with the help of (?:a|her) lawyer"],
        "ru": [r"юридическ\w* помощ", r"с помощью (?:юриста|адвоката)"],
        "kk": [r"заң(?:герлік)? көмег", r"заңгер\w* көмег", r"адвокат\w* көмег"],
    },
    "children_arrangements": {
        "en": [r"(?:granted|awarded|gave|given) (?:\w+\s+){0,3}custody", r"custody (?:of|over) (?:the |her |their )?(?:child|children|son|daughter|kids)\s+(?:was|were) (?:granted|awarded|given)",
               r"(?:determined|decided|fixed) (?:\w+\s+){0,3}(?:child's|children's) (?:place of )?residence", r"(?:contact|visiting|access) (?:rights|arrangements)",
               r"stripped of (?:his )?parental rights"],
        "ru": [r"(?:определил|установил)\w* (?:\w+\s+){0,2}мест\w* жительства", r"лишил\w* (?:\w+\s+)?родительских прав", r"лишен\w* родительских прав",
               r"порядок общения с (?:ребенком|ребёнком|детьми)", r"алимент"],
        "kk": [r"ата-ана құқығынан айыр", r"алимент", r"баламен (?:кездесу|араласу) тәртіб"],
    },
    "moving_house": {
        "en": [r"(?<!\bhe )moved (?:out|to|in with (?:her|their) )", r"(?:decided to )?move away",
               r"took the (?:children|child|kids) and (?:went|left|moved)", r"returned to (?:a|her|the|their) (?:\w+ )?(?:village|town|city|parents|home town|family)"],
        "ru": [r"переехал", r"уехал\w* в\b", r"забрал\w* (?:\w+\s+)?дет\w* и (?:уехал|ушл)", r"ушл\w* (?:\w+\s+)?к (?:маме|матери|родител|сестр|брат|подруг|бабушк)", r"вернул\w* (?:\w+\s+)?в (?:родн|сел|деревн|аул)", r"жил\w* у (?:сестры|брата|родител|мамы|матери)"],
        "kk": [r"көшіп", r"көшті", r"балаларын алып (?:\w+\s+)?(?:кетті|көшті|кетіп)", r"ауылына (?:қайтты|кетті|оралды)"],
    },
    "reclassification": {
        "en": [r"(?:treated|reclassified|requalified) (?:\w+ ){0,3}as (?:a )?minor"],
        "ru": [r"переквалифицир", r"в качестве (?:\w+\s+)?(?:незначительн|мелк|малозначительн)\w* (?:правонарушени|проступк)"],
        "kk": [r"қайта саралад"],
    },
    "international_complaint": {
        "en": [r"(?:lodged|brought|submitted) (?:\w+ ){0,3}(?:application|communication|complaint) (?:\w+ ){0,3}(?:European Court|Committee|CEDAW)"],
        "ru": [r"(?:обратил|подал|направил)\w*\s+(?:\w+\s+){0,3}(?:в )?(?:Европейск\w* суд|Комитет|ЕСПЧ|CEDAW)", r"пожаловал\w*\s+(?:\w+\s+){0,2}в (?:ЕСПЧ|Европейск\w* суд)"],
        "kk": [r"(?:Комитетке|Еуропалық сотқа) (?:жүгінді|шағым)"],
    },
    "international_judgment": {
        "en": [r"(?:the )?(?:European Court|Court|Committee) (?:\w+ ){0,2}(?:found|held) (?:a )?violation",
               r"(?:Committee|Court) (?:\w+ ){0,3}(?:adopted (?:its )?views|delivered (?:its )?judgment)"],
        "ru": [r"(?:ЕСПЧ|Европейский суд|Комитет)\w*\s+(?:\w+\s+){0,3}(?:признал|установил)\w*\s+(?:\w+\s+){0,3}нарушени"],
        "kk": [r"Комитет\w*\s+(?:\w+\s+){0,3}бұзушылық"],
    },
    "abduction": {
        "en": [r"abduct", r"kidnapp", r"locked (?:her|the applicant) up", r"held her captive"],
        "ru": [r"похит(?!ител)", r"похищ", r"вывез\w* (?:\w+\s+){0,2}в лес"],
        "kk": [r"ұрлап", r"алып қаш"],
    },
    "bride_kidnapping": {
        "en": [r"bride kidnapping", r"abducted (?:\w+ ){0,3}to (?:force|make) her (?:to )?marry"],
        "ru": [r"похит\w*\s+(?:\w+\s+){0,2}(?:невест|девушк)", r"кража невест", r"затолкал\w* (?:ее|её) в машину", r"похищени\w* (?:невест|с целью (?:принуждения к )?брак)"],
        "kk": [r"қыз алып қаш"],
    },
    "order_refused": {
        "en": [r"refused (?:to issue|the application for) (?:a |an )?(?:protection|restraining|protective) order", r"(?:application|request) for (?:a |an )?(?:protection|restraining|protective) order was (?:refused|rejected|dismissed)"],
        "ru": [r"суд\w*\s+(?:\w+\s+){0,2}отклонил", r"отказ(?:ал|ыва)\w* в (?:выдаче|применении) (?:\w+\s+)?(?:охранн|защитн|предварительн)"],
        "kk": [r"қорғау нұсқамасын беруден бас тарт"],
    },
    "police_visit": {
        "en": [r"police (?:came|arrived|attended)", r"police were called (?:out|to)", r"came on the spot",
               r"(?:police )?officers (?:came|arrived|attended)"],
        "ru": [r"(?:полици|наряд)\w*\s+(?:\w+\s+){0,2}(?:приехал|прибыл)", r"с помощью полиции"],
        "kk": [r"полиция келді", r"полиция қызметкерлері келді"],
    },
    "reconciliation": {
        "en": [r"reconcil"],
        "ru": [r"простил\w* (?:его|парня|мужа)", r"помирил"],
        "kk": [r"татуласт"],
    },
    "economic_abuse": {
        "en": [r"sold (?:\w+ ){0,3}from the house", r"took (?:away )?(?:her|all the) (?:money|salary|wages)",
               r"refused to give her (?:any )?money", r"gave her no money", r"withh[eo]ld\w* (?:her )?(?:money|salary|wages|benefits)"],
        "ru": [r"отбирал\w* (?:деньги|зарплат)", r"не дава\w* (?:ей )?(?:ни копейки|денег)"],
        "kk": [r"ақшасын тартып", r"ақша бермеді"],
    },
    "self_harm": {
        "en": [r"(?:tried|attempted) to (?:kill herself|take her own life|commit suicide)", r"suicide attempt", r"attempted suicide",
               r"(?:cut|harmed) herself"],
        "ru": [r"пыта\w* (?:покончить с собой|покончить жизнь самоубийством|убить себя|свести счёты с жизнью)", r"попытк\w* (?:самоубийства|суицида)"],
        "kk": [r"өзін-өзі өлтіруге (?:әрекет|тырыс)", r"суицидке (?:бар|әрекет)"],
    },
    "death": {
        "en": [r"\bdied\b", r"committed suicide", r"took his own life"],
        "ru": [r"скончал", r"погиб", r"умер"],
        "kk": [r"қайтыс бол", r"көз жұм"],
    },
}

# What is said of an order or a case by a pronoun or a bare verb, once the sentence has named
# it ("вынес предписание, но он его нарушал", "applied for an order; it was refused", "a
# criminal case, which was closed in June"): kind -> language -> (what names it, what is said
# of it after).
BY_PRONOUN: dict[str, dict[str, tuple[str, str]]] = {
    "order_breached": {
        "ru": (r"предписани|ордер|запрет", r"(?:его|их|её|ее)\s+(?:\w+\s+)?наруш(?:ил|ал)\w*"),
    },
    "order_refused": {
        "en": (r"(?:protection|protective|restraining|barring) order|injunction",
               r"(?:it|which) was (?:refused|rejected|dismissed)|(?:the )?court (?:\w+ )?(?:refused|rejected|dismissed) (?:it|the application|the request)"),
        "ru": (r"ордер|предписани|мер\w* защиты",
               r"суд\w*\s+(?:\w+\s+)?(?:отказал|отклонил)"),
        "kk": (r"нұсқама", r"сот\w*\s+(?:\w+\s+){0,2}бас тарт"),
    },
    "case_discontinued": {
        "en": (r"case|investigation|proceedings|inquiry",
               r"(?:which|it) was (?:later )?(?:\w+ )?(?:closed|discontinued|terminated|dropped)"),
        "ru": (r"дело|расследовани|производств", r"(?:его|её|ее)\s+(?:\w+\s+){0,3}прекрати\w*"),
    },
}

# Kinds whose default institution is known; otherwise the sentence names one.
KIND_INSTITUTION: dict[str, str] = {
    "police_report": "police", "police_refusal": "police", "arrest": "police",
    "report_prosecutor": "prosecutor", "prosecutor_response": "prosecutor",
    "case_refused": "", "case_opened": "", "case_discontinued": "", "complaint_withdrawn": "",
    "detention_refused": "", "reclassification": "", "admin_sanction": "", "jury_dismissed": "court",
    "legal_aid": "", "police_visit": "police", "indictment": "prosecutor", "order_refused": "",
    "order_issued": "", "order_requested": "", "authority_no_response": "",
    "evidence_not_collected": "", "evidence_destroyed": "", "admin_protocol": "",
    "order_extended": "", "order_expired": "",
    "hearing": "court", "court_decision": "court", "verdict": "court", "sentence": "court", "appeal": "court",
    "court_application": "court", "detention_ordered": "court",
    "medical_exam": "health", "shelter_admission": "shelter",
}

INSTITUTIONS: dict[str, dict[str, list[str]]] = {
    "police": {
        "en": [r"police", r"station", r"officer", r"constable", r"investigator", r"militia"],
        "ru": [r"полици", r"полицейск", r"милици", r"участков", r"ОВД", r"УВД", r"РОВД", r"следовател", r"дознавател"],
        "kk": [r"полиция", r"учаскелік", r"тергеуші", r"ІІБ"],
    },
    "prosecutor": {
        "en": [r"prosecutor", r"public prosecution"],
        "ru": [r"прокурор", r"прокуратур"],
        "kk": [r"прокурор", r"прокуратура"],
    },
    "court": {
        "en": [r"court", r"judge", r"tribunal"],
        "ru": [r"суд(?:а|у|ом|е|ы|ов|ам|ами|ах)?\b", r"судь", r"судебн"],
        "kk": [r"сот\b", r"сотқа", r"соты", r"сотта", r"судья"],
    },
    "health": {
        "en": [r"hospital", r"doctor", r"medical", r"forensic", r"ambulance", r"clinic"],
        "ru": [r"больниц", r"врач", r"медицин", r"скор\w* помощ", r"травмпункт", r"поликлиник"],
        "kk": [r"аурухана", r"дәрігер", r"медицин", r"жедел жәрдем", r"емхана"],
    },
    "shelter": {
        "en": [r"shelter", r"crisis cent"],
        "ru": [r"приют", r"кризисн\w* центр"],
        "kk": [r"дағдарыс орталығ"],
    },
    "social_services": {
        "en": [r"social (?:services|worker)", r"child protection", r"guardianship"],
        "ru": [r"опек", r"социальн\w* (?:служб|работник)"],
        "kk": [r"қорғаншылық", r"әлеуметтік қызмет"],
    },
}

# Reporting: the words that say she told an institution (used to mark an incident "reported").
REPORTED: dict[str, list[str]] = {
    "en": [r"reported", r"complained", r"lodged", r"filed", r"called the police", r"told the police"],
    "ru": [r"обра(?:тил|щал)", r"заявил", r"заявлял", r"заявлени", r"вызвал", r"вызывал", r"сообщ(?:ил|ал)", r"(?:по)?жаловал"],
    "kk": [r"арыз", r"хабарла", r"жүгін", r"шағым"],
}

# Who the sentence names, by their tie to her: matched to the case's parties when a proposal
# is accepted (qorgau.intake.services.proposed_parties). "partner" is any intimate partner,
# married or not, present or former (the text's "husband" may be her former husband now).
ACTORS: dict[str, dict[str, list[str]]] = {
    "partner": {
        "en": [r"(?:ex-?|former )?husband", r"(?:ex-?|former )?partner\b", r"(?:ex-?|former )?boyfriend",
               r"cohabitant", r"(?:ex-?|former )?spouse\b"],
        "ru": [r"муж(?:а|у|ем|е)?\b", r"супруг(?:ом)?\b", r"сожител(?:ь|я|ем|ю)\b", r"партн[её]р",
               r"возлюбленн"],
        "kk": [r"күйеу", r"жұбай"],
    },
    "parent": {
        "en": [r"(?:step)?father\b", r"(?:step)?mother\b"],
        "ru": [r"отец\b", r"отца\b", r"отцом\b", r"отчим", r"мать\b", r"матери\b"],
        "kk": [r"әкес", r"әкелері", r"өгей әке", r"анас"],
    },
    "in_law": {
        "en": [r"\w+-in-law"],
        "ru": [r"св[её]к(?:ор|р)", r"свекров", r"тест[ья]", r"дев[еи]р"],
        "kk": [r"қайын"],
    },
    "sibling": {
        "en": [r"brother\b(?!-in-law)", r"sister\b(?!-in-law)"],
        "ru": [r"брат(?:а|у|ом|е)?\b", r"сестр"],
        "kk": [r"інісі", r"ағасы", r"қарындас"],
    },
    "child": {
        "en": [r"son\b", r"daughter", r"child", r"the boy\b", r"the girl\b"],
        "ru": [r"сын", r"доч", r"реб[её]н", r"дет(?:ей|и|ям)\b"],
        "kk": [r"бала", r"ұлы", r"қызы"],
    },
}

RECURRENCE: dict[str, dict[str, list[str]]] = {
    "repeated": {
        "en": [r"repeatedly", r"regularly", r"constantly", r"on many occasions", r"systematic", r"over the years",
               r"again and again"],
        "ru": [r"неоднократно", r"регулярно", r"постоянно", r"систематическ", r"многократно", r"годами", r"часто",
               r"не раз\b"],
        "kk": [r"үнемі", r"жүйелі түрде", r"талай рет", r"жиі"],
    },
    "several": {
        "en": [r"several times", r"a few times", r"on several occasions", r"twice",
               r"(?:three|four|five|six|seven|eight|nine|ten) (?:more )?times"],
        "ru": [r"несколько раз", r"дважды", r"трижды", r"(?:два|три|четыре|пять|шесть|семь|восемь|девять|десять) раз"],
        "kk": [r"бірнеше рет", r"екі рет", r"үш рет"],
    },
}

# A duration ("for ten years", "на протяжении многих лет", "он жыл бойы"): said of abuse, it
# was repeated over that time (said of a court or a marriage, it says nothing of the kind).
DURATION: dict[str, list[str]] = {
    "en": [r"for (?:many |several |(?:\d+|\w+) )?(?:years|months)\b", r"(?:years|months) of (?!marriage)"],
    "ru": [r"(?:на протяжении|в течение) (?:\w+\s+){0,2}(?:лет|года?|месяцев)\b"],
    "kk": [r"(?:жыл|ай) бойы", r"бірнеше жыл"],
}

# Months: every spelling (nominative, genitive, prepositional; Kazakh with its locative).
MONTHS: dict[str, int] = {}
for _number, _names in enumerate((
    ("january", "jan", "январь", "января", "январе", "қаңтар"),
    ("february", "feb", "февраль", "февраля", "феврале", "ақпан"),
    ("march", "mar", "март", "марта", "марте", "наурыз"),
    ("april", "apr", "апрель", "апреля", "апреле", "сәуір"),
    ("may", "май", "мая", "мае", "мамыр"),
    ("june", "jun", "июнь", "июня", "июне", "маусым"),
    ("july", "jul", "июль", "июля", "июле", "шілде"),
    ("august", "aug", "август", "августа", "августе", "тамыз"),
    ("september", "sep", "sept", "сентябрь", "сентября", "сентябре", "қыркүйек"),
    ("october", "oct", "октябрь", "октября", "октябре", "қазан"),
    ("november", "nov", "ноябрь", "ноября", "ноябре", "қараша"),
    ("december", "dec", "декабрь", "декабря", "декабре", "желтоқсан"),
), start=1):
    for _name in _names:
        MONTHS[_name] = _number

# A part of a year said in words: (first month, last month).
YEAR_PARTS: dict[str, tuple[int, int]] = {
    "early": (1, 4), "beginning": (1, 4), "start": (1, 4), "начале": (1, 4), "начало": (1, 4),
    "начала": (1, 4), "середины": (5, 8), "конца": (9, 12),
    "басында": (1, 4), "басы": (1, 4),
    "mid": (5, 8), "middle": (5, 8), "середине": (5, 8), "ортасында": (5, 8),
    "late": (9, 12), "end": (9, 12), "конце": (9, 12), "конец": (9, 12), "аяғында": (9, 12),
    "аяғы": (9, 12),
}

# Relative days, resolved against the last day-precise date earlier in the text.
RELATIVE_DAYS: dict[str, int] = {
    "the same day": 0, "that day": 0, "the next day": 1, "the following day": 1,
    "the day after": 1, "two days later": 2, "three days later": 3, "a week later": 7,
    "в тот же день": 0, "в этот же день": 0, "на следующий день": 1, "на другой день": 1,
    "через день": 1, "через два дня": 2, "через три дня": 3, "через неделю": 7,
    "сол күні": 0, "келесі күні": 1, "ертесі күні": 1, "екі күннен кейін": 2,
    "бір аптадан кейін": 7,
}

# "N days later": the number in words, and the words around it.
NUMBERS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "один": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5,
    "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10, "бір": 1, "екі": 2,
    "үш": 3, "төрт": 4, "бес": 5, "алты": 6, "жеті": 7, "сегіз": 8, "тоғыз": 9, "он": 10,
}
DAYS_LATER: dict[str, str] = {
    "en": r"(?P<n>\d{1,2}|{numbers})\s+days?\s+(?:later|afterwards|after that)",
    "ru": r"(?:через\s+(?P<n>\d{1,2}|{numbers})\s+(?:дня|дней|день)|(?P<n2>\d{1,2}|{numbers})\s+(?:дня|дней)\s+спустя)",
    "kk": r"(?P<n>\d{1,2}|{numbers})\s+күннен\s+кейін",
}

# Seasons, as words_span reads them (spring/summer/autumn/winter YYYY).
SEASONS: dict[str, str] = {
    "spring": "spring", "summer": "summer", "autumn": "autumn", "fall": "autumn",
    "winter": "winter", "весной": "spring", "весна": "spring", "летом": "summer",
    "лето": "summer", "осенью": "autumn", "осень": "autumn", "зимой": "winter", "зима": "winter",
    "көктемінде": "spring", "көктемде": "spring", "көктем": "spring", "жазында": "summer",
    "жазда": "summer", "жаз": "summer", "күзінде": "autumn", "күзде": "autumn", "күз": "autumn",
    "қысында": "winter", "қыста": "winter", "қыс": "winter",
}
