/// Texts about nothing in common, in several languages and scripts: the cosine a model gives
/// pairs of them is its baseline for "unrelated" (see `EmbeddingBlock.baseline`). Measured
/// per model rather than assumed, so a model whose cosines crowd high (multilingual-e5:
/// about 0.75) and one that spreads them (all-MiniLM-L6-v2: about 0.05) score on one scale.
public enum UnrelatedTexts {
    public static let all = [
        "What time does the swimming pool open on Sundays?",
        "My laptop battery drains in an hour",
        "Recommend a good book about the history of Rome",
        "How many calories are in a banana?",
        "The train to Berlin was cancelled this morning",
        "Can you turn the living room lights off",
        "我想学习怎么弹吉他",
        "明天北京会下雨吗",
        "¿Cuánto cuesta un billete de avión a Lima?",
        "Mon chat ne mange plus depuis deux jours",
        "Wie spät ist es in Tokio?",
        "Qual é a melhor praia do Brasil?",
        "Где купить зимние шины?",
        "الطقس حار جدا اليوم",
        "Saya lupa kata sandi email saya",
        "Bu akşam futbol maçı var mı?",
    ]

    /// The mean cosine over all pairs of `vectors` (rows of texts in `all`; rows of any norm).
    public static func meanCosine(_ vectors: EmbeddingMatrix) -> Float {
        let rows = (0..<vectors.count).map { i -> [Float] in
            let row = Array(vectors.row(i))
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? row.map { $0 / norm } : row
        }
        var total: Float = 0
        var pairs = 0
        for i in rows.indices {
            for j in rows.indices where j > i {
                total += zip(rows[i], rows[j]).reduce(0) { $0 + $1.0 * $1.1 }
                pairs += 1
            }
        }
        return pairs > 0 ? total / Float(pairs) : 0
    }
}
