//! Money formulas that more than one layer needs: the book's cells (`book::cells`) and the
//! engine's loan and count modes compute a first scheduled payment the same way, so the
//! formula lives here, below both. Pure functions, no state.

/// Level payment repaying `balance` over `term` months at monthly rate `rate` (annuity).
pub fn annuity(balance: f64, rate: f64, term: u32) -> f64 {
    if term == 0 {
        return balance * (1.0 + rate);
    }
    if rate == 0.0 {
        return balance / f64::from(term);
    }
    balance * rate / (1.0 - (1.0 + rate).powi(-(term as i32)))
}
