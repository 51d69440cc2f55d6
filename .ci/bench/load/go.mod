module journeyci/benchload

go 1.26.8
