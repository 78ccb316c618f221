/// Tells which language a customer wrote in, offline and in microseconds, so that an entry's
/// answer in that language can be chosen (`FAQEntry.answer(in:)`).
///
/// Two kinds of evidence, in order:
/// 1. **Script.** Most scripts belong to one language as far as a shop is concerned: Han → `zh`
///    (with kana → `ja`), Hangul → `ko`, Thai → `th`, Greek → `el`, Hebrew → `he`, Devanagari →
///    `hi`, and so on. Arabic letters are `ar` unless Persian (`fa`) or Urdu (`ur`) letters show;
///    Cyrillic is `ru` unless Ukrainian letters show.
/// 2. **Words, for Latin script.** Each language's most frequent short words (function words,
///    greetings, "please", "thanks") and the letters only it uses (ñ, ã, ß, ğ, ł, ơ). Words shared
///    by several languages count for each and so cancel out; the best language must lead.
///
/// It answers nil rather than guess: a message too short or too mixed to tell ("ok", "LM1234",
/// "pedido") gets the entry's default answer. A sentence model is not used: multilingual models
/// are trained to place a question and its translations together, which is what matching needs
/// and the opposite of what telling languages apart needs.
public enum LanguageDetector {
    /// The language of a message, as an ISO 639-1 code (`en`, `es`, `zh`), or nil when it cannot tell.
    public static func language(of text: String) -> String? {
        language(ofNormalized: TextNormalizer.normalize(text))
    }

    /// The same for text already normalised by `TextNormalizer` (lower case, no apostrophes).
    public static func language(ofNormalized text: String) -> String? {
        var counts = ScriptCounts()
        for scalar in text.unicodeScalars { counts.add(scalar) }
        if let language = counts.nonLatinLanguage() { return language }
        guard counts.latin > 0 else { return nil }
        return latinLanguage(text)
    }

    /// Every language `language(of:)` can answer.
    public static let detectable: Set<String> = Set(
        [
            "zh", "ja", "ko", "ar", "fa", "ur", "ru", "uk", "el", "he", "hi", "bn", "pa", "gu", "ta", "te", "kn", "ml", "si", "th", "lo", "my", "ka",
            "hy", "am", "km",
        ]
            + LatinLanguage.all.map(\.code))

    /// True for the 184 two-letter codes of ISO 639-1.
    public static func isLanguageCode(_ code: String) -> Bool { isoCodes.contains(code) }

    private static let isoCodes = Set(
        """
        aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el \
        en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu \
        ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na \
        nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so \
        sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
        """.split(separator: " ").map(String.init))

    /// Every decision asks, so the evidence is looked up in tables made once: a word costs one
    /// lookup, and a word no list holds a lookup per ending and per letter group it contains.
    private static let tables = LatinTables(LatinLanguage.all)
    private static let mostFromSpellingAndLetters = 3.5

    private static func latinLanguage(_ text: String) -> String? {
        let tables = Self.tables
        var scores = [Double](repeating: 0, count: LatinLanguage.all.count)
        var spelling = [Double](repeating: 0, count: LatinLanguage.all.count)
        var letters = [Int](repeating: 0, count: LatinLanguage.all.count)
        var scratch: [UInt32] = []
        var unlisted: [Substring] = []
        for word in text.split(separator: " ") where !tables.vote(word, scores: &scores, scratch: &scratch) { unlisted.append(word) }
        // Spelling and letters add at most 3.5: a lead of words larger than that is settled (most
        // long messages), and the rest is not worth its cost on every decision.
        let top = scores.max() ?? 0
        if scores.filter({ $0 > top - Self.mostFromSpellingAndLetters }).count > 1 || top < 1 {
            for word in unlisted { tables.spell(word, into: &spelling, scratch: &scratch) }
        }
        for scalar in text.unicodeScalars where scalar.value >= 0x80 {
            for i in tables.letters[scalar] ?? [] { letters[i] += 1 }
        }
        for i in scores.indices {
            // Spelling hints at a language; it does not outvote its words. A few letters settle
            // a short message; more of them say no more than words do.
            scores[i] += min(spelling[i], 1.5) + min(Double(letters[i]) * 0.75, 2)
        }
        let ranked = scores.indices.sorted { scores[$0] > scores[$1] }
        let best = ranked[0]
        let second = ranked[1]
        guard scores[best] >= 1 else { return nil }
        if scores[best] > scores[second] { return LatinLanguage.all[best].code }
        // Close relatives that share most of their words: the larger one unless the other shows.
        if let family = LatinLanguage.all[best].tieGoesTo, LatinLanguage.all[second].code == family { return family }
        if let family = LatinLanguage.all[second].tieGoesTo, LatinLanguage.all[best].code == family { return family }
        return nil
    }
}

/// Letters by script, as far as telling the language goes.
private struct ScriptCounts {
    var latin = 0
    var han = 0
    var kana = 0
    var hangul = 0
    var arabic = 0
    var persian = 0
    var urdu = 0
    var cyrillic = 0
    var ukrainian = 0
    /// Other scripts that name one language each, by code.
    var single: [String: Int] = [:]

    mutating func add(_ scalar: Unicode.Scalar) {
        let v = scalar.value
        switch v {
        case 0x61...0x7A, 0xC0...0x24F, 0x1E00...0x1EFF: latin += 1
        case 0x3040...0x30FF: kana += 1
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FFFF: han += 1
        case 0x1100...0x11FF, 0x3130...0x318F, 0xAC00...0xD7AF: hangul += 1
        case 0x0600...0x06FF, 0x0750...0x077F, 0xFB50...0xFDFF, 0xFE70...0xFEFF:
            arabic += 1
            switch v {
            case 0x067E, 0x0686, 0x0698, 0x06AF: persian += 1  // پ چ ژ گ
            case 0x0679, 0x0688, 0x0691, 0x06BA, 0x06D2: urdu += 1  // ٹ ڈ ڑ ں ے
            default: break
            }
        case 0x0400...0x04FF:
            cyrillic += 1
            if [0x0456, 0x0457, 0x0454, 0x0491].contains(v) { ukrainian += 1 }  // і ї є ґ
        default:
            if let code = Self.singleScript(v) { single[code, default: 0] += 1 }
        }
    }

    private static func singleScript(_ v: UInt32) -> String? {
        switch v {
        case 0x0370...0x03FF: "el"
        case 0x0590...0x05FF: "he"
        case 0x0900...0x097F: "hi"
        case 0x0980...0x09FF: "bn"
        case 0x0A00...0x0A7F: "pa"
        case 0x0A80...0x0AFF: "gu"
        case 0x0B80...0x0BFF: "ta"
        case 0x0C00...0x0C7F: "te"
        case 0x0C80...0x0CFF: "kn"
        case 0x0D00...0x0D7F: "ml"
        case 0x0D80...0x0DFF: "si"
        case 0x0E00...0x0E7F: "th"
        case 0x0E80...0x0EFF: "lo"
        case 0x1000...0x109F: "my"
        case 0x10A0...0x10FF: "ka"
        case 0x0530...0x058F: "hy"
        case 0x1200...0x137F: "am"
        case 0x1780...0x17FF: "km"
        default: nil
        }
    }

    /// The language of the dominant non-Latin script, or nil when Latin letters dominate.
    /// A CJK character carries about a word, so it counts as three letters ("我想refund" is Chinese).
    func nonLatinLanguage() -> String? {
        let cjk = han + kana + hangul
        var best: (code: String, weight: Int)?
        func consider(_ code: String, _ weight: Int) {
            if weight > 0 && weight > (best?.weight ?? 0) { best = (code, weight) }
        }
        if cjk > 0 { consider(kana > 0 ? "ja" : hangul > han ? "ko" : "zh", cjk * 3) }
        consider(persian > 0 && persian >= urdu ? "fa" : urdu > 0 ? "ur" : "ar", arabic)
        consider(ukrainian > 0 ? "uk" : "ru", cyrillic)
        for (code, count) in single.sorted(by: { $0.key < $1.key }) { consider(code, count) }
        guard let best, best.weight >= latin else { return nil }
        return best.code
    }
}

/// A Latin-script language's evidence: frequent words (as `TextNormalizer` leaves them: lower
/// case, apostrophes dropped, with and without accents, as customers type both) and the letters
/// only it, or few others, use.
private struct LatinLanguage {
    var code: String
    var words: Set<String>
    var letters: Set<Unicode.Scalar>
    /// Spellings typical of its words, for the words no list holds: an ending (`ção$`) or a
    /// letter group anywhere in a word (`sch`).
    var endings: [String]
    var groups: [String]
    /// The relative a tie is given to (Malay and Indonesian share most of their words).
    var tieGoesTo: String? = nil

    init(_ code: String, _ words: String, letters: String = "", spellings: String = "", tieGoesTo: String? = nil) {
        self.code = code
        self.words = Set(words.split(separator: " ").map(String.init))
        self.letters = Set(letters.unicodeScalars)
        let pieces = spellings.split(separator: " ").map(String.init)
        self.endings = pieces.filter { $0.hasSuffix("$") }.map { String($0.dropLast()) }
        self.groups = pieces.filter { !$0.hasSuffix("$") }
        self.tieGoesTo = tieGoesTo
    }

    static let all: [LatinLanguage] = [
        LatinLanguage(
            "en",
            """
            the a an and or but is are was were be been am i im you youre he she it its we they me my your our their this that \
            these those what whats where wheres when why how who which can cant could would should will wont do does did dont \
            doesnt didnt have has had not yes please thanks thank hi hello hey to of in on at for from with about want need get \
            got still yet there here any some just if there my mine order \
            two times same other another something nothing all good bad now today yesterday tomorrow make buy
            """, spellings: "ing$ tion$ ght th wh ly$ ed$"),
        LatinLanguage(
            "es",
            """
            el la los las un una unos unas y o pero es son está esta estan están fue ser soy estoy yo tu tú usted ustedes mi mis \
            su sus nuestro nuestra que qué quiero quisiera puedo puede pueden cómo como donde dónde cuando cuándo por porque para \
            con sin del al hola gracias favor buenos buenas días dias tengo tiene tienen hay ya todavía todavia aún aun muy también \
            tambien no si sí lo le les me se nos hasta cuánto cuanto cuál cual necesito \
            dos vez veces mismo misma otro otra cosa algo nada todo todos bien mal ahora hoy ayer mañana aquí aqui allí hacer tener pedir comprar llegó llego de en
            """, letters: "ñ", spellings: "ción$ cion$ ado$ ada$ ados$ adas$ ando$ iendo$ aron$ ieron$ amos$ emos$ imos$ ñ"),
        LatinLanguage(
            "pt",
            """
            o a os as um uma uns umas e ou mas é são sao está esta estão estao foi ser sou estou eu você voce vocês voces meu \
            minha meus minhas seu sua nosso nossa que quero queria posso pode podem como onde quando por porque para com sem do \
            da dos das no na nos nas ao olá ola obrigado obrigada favor bom boa dia dias tenho tem há ja já ainda muito também \
            tambem não nao sim isso isto ele ela me se até ate quanto qual preciso \
            pra pro pelo pela vez vezes mesmo mesma outro outra coisa algo nada tudo todos bem mal agora hoje ontem amanhã amanha aqui ali fazer ter pedir comprar chegou veio de em
            """, letters: "ãõ", spellings: "ção$ cao$ ções$ coes$ ões$ ão$ nh lh amos$ emos$ inho$ inha$"),
        LatinLanguage(
            "fr",
            """
            le la les un une des et ou mais est sont était etait être etre suis je tu vous il elle nous ils elles mon ma mes ton \
            ta votre vos notre que qui quoi quand où comment pourquoi pour par avec sans du au aux dans sur ce cette ces bonjour \
            salut merci svp plaît plait ai avez as pas ne oui non très tres aussi encore toujours veux voudrais peux pouvez jai \
            cest nest quil quest daccord combien quel quelle me se \
            deux fois même meme autre chose rien tout tous bien mal maintenant aujourd hui hier demain ici faire avoir acheter reçu recu chez cherche de en
            """, letters: "œûÿ", spellings: "eau aux$ oi ou ez$ ais$ ait$ ient$ qu eux$ euse$ ée$"),
        LatinLanguage(
            "de",
            """
            der die das den dem des ein eine einen einem einer und oder aber ist sind war sein bin ich du sie er es wir ihr mein \
            meine meinen meiner mich mir dich dir ihre unser unsere was wo wann warum wie wer welche welcher für fur mit ohne \
            von zu zum zur bei nach auf aus im an hallo danke bitte guten tag nicht kein keine ja nein sehr auch noch schon \
            habe hat haben kann können konnen möchte mochte will wurde wieviel wie viel \
            zwei mal gleiche andere etwas nichts alles gut schlecht jetzt heute gestern morgen hier machen kaufen
            """, letters: "ßäöü", spellings: "sch ung$ lich keit$ tz ck ei ie ß"),
        LatinLanguage(
            "it",
            """
            il lo la i gli le un uno una e o ma è sono era essere io tu lei lui noi voi loro mio mia miei mie tuo tua suo sua \
            nostro che cosa chi quando dove come perché perche per con senza del della dei delle al alla nel nella ciao grazie \
            prego buongiorno buonasera non sì si molto anche ancora già gia ho hai ha abbiamo posso può puo vorrei voglio mi ti \
            ci quanto quale dovè cè \
            due volte stesso stessa altro altra niente tutto tutti bene male adesso oggi ieri domani qui fare avere comprare arrivato di in
            """, letters: "ò", spellings: "zione$ zz gli gn cch ggi ato$ ata$ iamo$ ere$ ire$"),
        LatinLanguage(
            "nl",
            """
            de het een en of maar is zijn was ben ik jij je u hij zij wij we mijn jouw uw ons onze wat waar wanneer waarom hoe \
            wie welke voor met zonder van naar op uit aan bij hallo hoi dank bedankt alstublieft alsjeblieft niet geen ja nee \
            heel ook nog al heb heeft hebben kan kunnen wil wilt graag hoeveel \
            twee keer zelfde ander andere iets niets alles goed slecht nu vandaag gisteren morgen hier doen kopen
            """, letters: "ĳ", spellings: "ij aa oe ee oo uu sch ijk"),
        LatinLanguage(
            "id",
            """
            saya aku kamu anda dia kami kita mereka ini itu yang dan atau tapi tetapi adalah ada tidak bukan belum sudah sedang \
            akan mau ingin dari ke di untuk dengan pada apa mana dimana kapan kenapa mengapa bagaimana siapa terima kasih tolong \
            halo selamat pagi siang malam ya juga lagi masih sangat bisa nggak gak enggak gimana kok dong sih aja berapa
            """, spellings: "kan$ nya$ ny ber meng mem peng"),
        LatinLanguage(
            "ms",
            """
            saya aku kamu anda dia kami kita mereka ini itu yang dan atau tapi tetapi adalah ada tidak bukan belum sudah sedang \
            akan mau ingin dari ke di untuk dengan pada apa mana dimana kenapa mengapa bagaimana siapa terima kasih tolong halo \
            selamat pagi siang malam ya juga lagi masih sangat tak nak awak sahaja bila macam mahu boleh berapa
            """, spellings: "kan$ nya$ ny ber meng mem peng", tieGoesTo: "id"),
        LatinLanguage(
            "tr",
            """
            ben sen o biz siz onlar bu şu su bir ve veya ama değil degil mi mı mu mü var yok ne nerede neden nasıl nasil kim \
            için icin ile gibi daha çok cok merhaba selam teşekkürler tesekkurler teşekkür tesekkur sağol sagol lütfen lutfen \
            evet hayır hayir benim senin bana sana da de ki kaç kac \
            iki kez aynı aynı başka şey hiç her iyi kötü şimdi bugün dün yarın burada yapmak almak istiyorum musunuz misiniz miyim hangi para
            """, letters: "ğış", spellings: "yor$ iyor uyor lar$ ler$ mak$ mek$ ım$ miş$ mış$"),
        LatinLanguage(
            "vi",
            """
            tôi toi bạn của cua không khong được duoc đã đang dang sẽ này gì đâu dau sao nào nao với voi để xin chào chao cảm ơn \
            vui lòng rồi roi ạ em chị anh mình minh bao nhiêu nhieu
            """, letters: "ơưđăạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"),
        LatinLanguage(
            "pl",
            """
            ja ty on ona my wy oni to ten ta jest są byl był była być i lub ale nie tak co gdzie kiedy dlaczego jak kto który \
            dla z ze bez na do od w we po czy mój moja moje mam masz ma możesz mozesz chcę chce proszę prosze dziękuję dziekuje \
            dzień dobry cześć czesc jeszcze już juz bardzo też tez ile
            """, letters: "łąęśźżńć", spellings: "sz cz rz ów$ ść ię"),
        LatinLanguage(
            "ro",
            """
            eu tu el ea noi voi ei este sunt era fi și si sau dar nu da ce unde când cand cum cine pentru cu fără fara din la pe \
            în mea meu mei vreau pot poate bună buna ziua mulțumesc multumesc vă rog te încă inca deja foarte cât cat
            """, letters: "șțăâî", spellings: "ului$ ție$ ește$ ează$ ii$"),
        LatinLanguage(
            "sv",
            """
            jag du han hon vi ni de det den en ett och eller men är var vara inte ja nej vad när varför hur vem för med utan \
            från till på i min mitt mina din ditt har hade kan vill hej tack snälla mycket också ännu redan hur mycket
            """, letters: "å", spellings: "och tt sk ck ar$ na$"),
        LatinLanguage(
            "tl",
            """
            ako ikaw ka siya kami tayo sila ito iyan yung ang ng mga sa at o pero ay hindi oo opo po ano saan kailan bakit \
            paano sino para kay may wala gusto pwede puwede salamat kumusta magandang pa na ba naman lang ko mo niya namin \
            magkano
            """, spellings: "ng mag nag um"),
    ]
}

/// The Latin-script evidence of every language, indexed by a 64-bit hash of each piece's
/// scalars (a collision with an unrelated word, about one in 10^17, would add one vote): what
/// each word, ending, letter group and letter says for which languages.
private struct LatinTables: Sendable {
    var words: [UInt64: [Int]] = [:]
    var endings: [UInt64: [Int]] = [:]
    var groups: [UInt64: [Int]] = [:]
    var letters: [Unicode.Scalar: [Int]] = [:]
    var endingLengths: [Int] = []
    var groupLengths: [Int] = []

    init(_ languages: [LatinLanguage]) {
        func key(_ text: String) -> UInt64 { Self.hash(text.unicodeScalars.map(\.value)[...]) }
        for (i, language) in languages.enumerated() {
            for word in language.words { words[key(word), default: []].append(i) }
            for ending in language.endings { endings[key(ending), default: []].append(i) }
            for group in language.groups { groups[key(group), default: []].append(i) }
            for letter in language.letters { letters[letter, default: []].append(i) }
        }
        endingLengths = Set(languages.flatMap(\.endings).map(\.unicodeScalars.count)).sorted()
        groupLengths = Set(languages.flatMap(\.groups).map(\.unicodeScalars.count)).sorted()
    }

    /// FNV-1a over the scalars.
    static func hash(_ scalars: ArraySlice<UInt32>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in scalars {
            h = (h ^ UInt64(value)) &* 0x100_0000_01b3
        }
        return h
    }

    /// Adds a vote for each language listing the word; false when none does. `scalars` is scratch space.
    func vote(_ word: Substring, scores: inout [Double], scratch scalars: inout [UInt32]) -> Bool {
        scalars.removeAll(keepingCapacity: true)
        for scalar in word.unicodeScalars { scalars.append(scalar.value) }
        guard let languages = words[Self.hash(scalars[...])] else { return false }
        for i in languages { scores[i] += 1 }
        return true
    }

    /// A quarter per typical ending (the word longer than it by two letters or more) and per
    /// letter group the word holds (each counted once), for words of four letters or more.
    func spell(_ word: Substring, into spelling: inout [Double], scratch scalars: inout [UInt32]) {
        scalars.removeAll(keepingCapacity: true)
        for scalar in word.unicodeScalars { scalars.append(scalar.value) }
        let count = scalars.count
        guard count > 3 else { return }
        for length in endingLengths where count > length + 1 {
            for i in endings[Self.hash(scalars[(count - length)...])] ?? [] { spelling[i] += 0.25 }
        }
        var seen: [UInt64] = []
        for length in groupLengths where length <= count {
            for start in 0...(count - length) {
                let piece = Self.hash(scalars[start..<(start + length)])
                guard let languages = groups[piece], !seen.contains(piece) else { continue }
                seen.append(piece)
                for i in languages { spelling[i] += 0.25 }
            }
        }
    }
}
