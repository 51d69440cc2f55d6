module journeyci/benchsink

go 1.26.8
