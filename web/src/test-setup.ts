import { configure } from '@testing-library/react'

// findBy*/waitFor give up after this long; the 1 s default fails on a
// loaded machine although the screen is right, so allow far more: a broken
// screen still fails, only later.
configure({ asyncUtilTimeout: 15_000 })
