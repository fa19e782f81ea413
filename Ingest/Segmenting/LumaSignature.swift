/// A frame's look in a few numbers, enough to tell one shot from the next: the mean brightness of
/// each cell of a 16 x 9 grid, a 16-bin brightness histogram, and the mean colour (chroma U and V)
/// of each cell where the frame has it, all from 4 x 4 point samples per cell (2,304 reads of a
/// frame's luma, and of its chroma, however large it is, so cut detection costs next to nothing
/// beside decoding). The grid sees where things are (a cut moves everything, a pan shifts it); the
/// histogram sees what there is (a pan keeps it, a cut changes it); the colour sees a cut between
/// two shots of one brightness.
public struct LumaSignature: Equatable {
    public static let columns = 16, rows = 9, samplesPerSide = 4, bins = 16

    /// Cell means, 0...255, row by row.
    public var grid: [Float]
    /// Fractions of the samples per brightness bin; they sum to 1.
    public var histogram: [Float]
    /// Each cell's mean U and V, 0...255, cell by cell (U, V, U, V, ...); empty for a frame read
    /// for brightness only.
    public var colour: [Float]

    public init(grid: [Float], histogram: [Float], colour: [Float] = []) {
        self.grid = grid
        self.histogram = histogram
        self.colour = colour
    }

    /// From a picture `width` x `height` whose brightness at (x, y) `luma` reads, in 0...255, and
    /// whose colour there (U, V) `chroma` reads, if given.
    public init(width: Int, height: Int, luma: (Int, Int) -> Int, chroma: ((Int, Int) -> (u: Int, v: Int))? = nil) {
        let across = Self.columns * Self.samplesPerSide, down = Self.rows * Self.samplesPerSide
        var grid = [Float](repeating: 0, count: Self.columns * Self.rows)
        var colour = [Float](repeating: 0, count: chroma == nil ? 0 : 2 * Self.columns * Self.rows)
        var counts = [Int](repeating: 0, count: Self.bins)
        for sy in 0..<down {
            let y = min(height - 1, (2 * sy + 1) * height / (2 * down))
            for sx in 0..<across {
                let x = min(width - 1, (2 * sx + 1) * width / (2 * across))
                let value = max(0, min(255, luma(x, y)))
                let cell = (sy / Self.samplesPerSide) * Self.columns + sx / Self.samplesPerSide
                grid[cell] += Float(value)
                counts[value * Self.bins / 256] += 1
                if let chroma {
                    let (u, v) = chroma(x, y)
                    colour[2 * cell] += Float(u)
                    colour[2 * cell + 1] += Float(v)
                }
            }
        }
        let perCell = Float(Self.samplesPerSide * Self.samplesPerSide), total = Float(across * down)
        self.grid = grid.map { $0 / perCell }
        self.histogram = counts.map { Float($0) / total }
        self.colour = colour.map { $0 / perCell }
    }

    /// How different two frames look in brightness, 0 (alike) and up: the histograms' total
    /// variation distance (0...1) plus twice the mean cell difference as a fraction of full scale
    /// (0...2). A hard cut between unrelated shots scores about 0.5 and more, a steady shot a few
    /// hundredths.
    public func difference(_ other: LumaSignature) -> Float {
        histogramDistance(other) + 2 * gridDistance(other)
    }

    /// `difference` plus twice the mean colour difference (0 unless both frames have colour): what
    /// a hard cut is judged by, so that a cut between two shots of one brightness still stands out.
    /// Fades are judged by brightness alone (a slowly turning coloured gradient would otherwise
    /// reach a fade's size).
    public func differenceWithColour(_ other: LumaSignature) -> Float {
        difference(other) + 2 * colourDistance(other)
    }

    /// The mean absolute difference of the cells' U and V means, as a fraction of 255; 0 unless
    /// both frames have colour.
    public func colourDistance(_ other: LumaSignature) -> Float {
        guard colour.count == other.colour.count, !colour.isEmpty else { return 0 }
        var sum: Float = 0
        for i in 0..<colour.count { sum += abs(colour[i] - other.colour[i]) }
        return sum / Float(colour.count) / 255
    }

    /// Half the L1 distance of the histograms: the share of samples that changed bins.
    public func histogramDistance(_ other: LumaSignature) -> Float {
        var sum: Float = 0
        for i in 0..<histogram.count { sum += abs(histogram[i] - other.histogram[i]) }
        return sum / 2
    }

    /// The mean absolute difference of the cell means, as a fraction of 255.
    public func gridDistance(_ other: LumaSignature) -> Float {
        var sum: Float = 0
        for i in 0..<grid.count { sum += abs(grid[i] - other.grid[i]) }
        return sum / Float(grid.count) / 255
    }

    /// The mean absolute difference of this grid from the average of two others, as a fraction of
    /// 255: near 0 for the middle frame of a cross-fade between them (a fade mixes pixels linearly),
    /// about half their own difference for a hard cut or a pan.
    public func gridDistance(toMeanOf a: LumaSignature, _ b: LumaSignature) -> Float {
        var sum: Float = 0
        for i in 0..<grid.count { sum += abs(grid[i] - (a.grid[i] + b.grid[i]) / 2) }
        return sum / Float(grid.count) / 255
    }

    /// How nearly `other` is this picture made brighter or darker: the gain g that best scales
    /// this grid onto the other's (least squares), and the mean cell difference left after it, as a
    /// fraction of 255. A change of exposure leaves little; a cut or a cross-fade to another picture
    /// leaves about their whole difference. Nil for a black grid, which no gain scales.
    public func exposure(to other: LumaSignature) -> (gain: Float, residual: Float)? {
        var ab: Float = 0, aa: Float = 0
        for i in 0..<grid.count {
            ab += grid[i] * other.grid[i]
            aa += grid[i] * grid[i]
        }
        guard aa > Float(grid.count) else { return nil }  // every cell under 1 of 255
        let gain = ab / aa
        var sum: Float = 0
        for i in 0..<grid.count { sum += abs(other.grid[i] - gain * grid[i]) }
        return (gain, sum / Float(grid.count) / 255)
    }
}
