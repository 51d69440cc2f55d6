// The one password policy, as the server has it (storage.MinPasswordLen in
// storage/auth.go; a Go test checks that the numbers match). The editor
// checks it before sending so the field shows the mistake at once.
export const minPassword = 10

export const passwordRule = `At least ${minPassword} characters.`
